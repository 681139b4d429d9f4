import pytest

from mmteach import course

GOOD = '''# %% [markdown]
# # Title
#
# text
# %% [locked] setup
import numpy as np
# %% [solution] f
def f(x):
    ### BEGIN SOLUTION
    return x
    ### END SOLUTION
# %% [test] f_check 2
assert f(1) == 1
### BEGIN HIDDEN TESTS
assert f(2) == 2
### END HIDDEN TESTS
# %% [answer] why 3
# ### BEGIN SOLUTION
# because
# ### END SOLUTION
# %%
print("demo")
'''


def test_parse_builds_nbgrader_cells():
    nb = course.parse_source(GOOD)
    kinds = [(c.cell_type, c.metadata.get("nbgrader", {})) for c in nb.cells]
    assert [k[0] for k in kinds] == ["markdown", "code", "code", "code", "markdown", "code"]
    assert nb.cells[0].source == "# Title\n\ntext"
    assert kinds[1][1] == {"grade": False, "solution": False, "locked": True, "grade_id": "setup", "schema_version": 3}
    assert kinds[2][1]["solution"] and not kinds[2][1]["grade"]
    assert kinds[3][1]["grade"] and kinds[3][1]["locked"] and kinds[3][1]["points"] == 2
    assert kinds[4][1]["grade"] and kinds[4][1]["solution"] and kinds[4][1]["points"] == 3
    assert kinds[5][1] == {}
    assert [c.id for c in nb.cells] == ["cell-000", "setup", "f", "f_check", "why", "cell-005"]


@pytest.mark.parametrize("text, message", [
    ("# %% [solution]\nx = 1", "needs an id"),
    ("# %% [test] t\nassert 1", "needs points"),
    ("# %% [solution] s\nx = 1", "BEGIN SOLUTION"),
    ("# %% [weird] s\nx", "unknown cell kind"),
    ("# %% [locked] a\nx\n# %% [locked] a\ny", "used twice"),
    ("# %% [markdown]\nnot a comment", "should start with '# '"),
    ("x = 1\n# %%\ny", "before the first"),
    ("# %% [test] t 2\n### BEGIN HIDDEN TESTS\nassert 1", "unbalanced"),
    ("# %% [locked] a 3\nx", r"only \[test\] and \[answer\]"),
])
def test_parse_rejects_malformed_sources(text, message):
    with pytest.raises(ValueError, match=message):
        course.parse_source(text)


def test_repo_root_and_lesson_names(repo):
    assert course.repo_root(repo / "tests") == repo
    assert course.lesson_names(repo)[0] == "01_supervised_learning"


def test_syllabus_table_is_current(repo):
    text = (repo / "course" / "syllabus.md").read_text()
    current = text.split(course.SYLLABUS_BEGIN)[1].split(course.SYLLABUS_END)[0].strip()
    assert current == course.syllabus_table(repo), "course/syllabus.md is stale: run `mmteach release`"


def test_lesson_01_points(repo):
    s = course.lesson_summary("01_supervised_learning", repo)
    assert (s["auto"], s["manual"], s["checks"], s["written"]) == (14, 3, 6, 1)
