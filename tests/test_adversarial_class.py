"""A whole class of careless-to-hostile submissions, graded in one run.

The class (see :mod:`mmteach.classroom`) holds one submission per kind: correct, untouched, wrong,
exception, infinite loop, a loop that swallows KeyboardInterrupt, an edited locked test, a deleted
test cell, stripped metadata, a changed cell type, inserted cells, huge output, a file that is not
valid JSON, a submission that reads and writes outside its folder, a duplicated cell, a half-done
notebook under a wrong name, and a folder without any notebook. It arrives as an LMS download and
goes through ``collect → autograde → feedback → export``. Checked: no student dropped, every
automatic score exactly right, the report names each problem, no hidden test code or message in any
feedback file, nothing written outside the submission folders, the gradebook intact.

The lesson graded is ``01_supervised_learning`` when its source exists, otherwise a small
purpose-built assignment with the same structure (answers, visible + hidden tests, a written answer).
"""
from __future__ import annotations

import csv
import os
import sqlite3
from pathlib import Path

import nbformat
import pytest

from mmteach import classroom, instructor

REPO = Path(__file__).resolve().parents[1]

# one worker runs the whole module (its fixture grades a class once); slow, so not in `make test-fast`
pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group(name="adversarial_class")]
LESSON = "01_supervised_learning"
CELL_TIMEOUT = int(os.environ.get("MMTEACH_TEST_CELL_TIMEOUT", "30"))

PROBE = "90_probe"
PROBE_SOURCE = '''# %% [markdown]
# # Probe assignment
# A tiny assignment shaped like a lesson, used to test the grading cycle.

# %% [locked] setup
import numpy as np
from mmteach import checks, quick_mode
QUICK = quick_mode()

# %% [markdown]
# ## Exercise 1 (2 points): softmax

# %% [solution] softmax
def softmax(z):
    """Row-wise softmax of a 2-D array."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION

# %% [test] softmax_check 2
out = checks.call(softmax, np.array([[0.0, 0.0]]))
checks.close(out, np.array([[0.5, 0.5]]), name="softmax of two zeros")
checks.passed("softmax works on a small example")
### BEGIN HIDDEN TESTS
big = checks.call(softmax, np.array([[1000.0, 0.0, -1000.0]]))
assert np.all(np.isfinite(big)), "SECRET-softmax-overflow: softmax must survive large logits"
checks.close(big.sum(axis=-1), np.ones(1), name="rows of softmax sum to one on large logits")
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2 (1 point): mean absolute value

# %% [solution] mean_abs
def mean_abs(x):
    """Mean of |x| over all entries."""
    ### BEGIN SOLUTION
    return float(np.mean(np.abs(np.asarray(x, dtype=float))))
    ### END SOLUTION

# %% [test] mean_abs_check 1
checks.close(checks.call(mean_abs, [1.0, -1.0]), 1.0, name="mean_abs([1, -1])")
checks.passed("mean_abs works")
### BEGIN HIDDEN TESTS
assert checks.call(mean_abs, [-3.0]) == 3.0, "SECRET-mean-abs-negative: single negative value"
### END HIDDEN TESTS

# %% [markdown]
# ## A question (2 points)

# %% [answer] why_shift 2
# Why subtract the maximum before exponentiating?
#
# ### BEGIN SOLUTION
# Because exp overflows for large inputs; the shift leaves the result unchanged.
# ### END SOLUTION

# %%
print("the end")
'''


def _build_course(tmp: Path) -> tuple[instructor.Course, str]:
    if (REPO / "course" / "src" / f"{LESSON}.py").exists():
        return classroom.build_course(REPO, tmp, LESSON, CELL_TIMEOUT), LESSON
    return classroom.build_course(REPO, tmp, PROBE, CELL_TIMEOUT, source_text=PROBE_SOURCE), PROBE


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    c, name = _build_course(tmp)
    sol = nbformat.read(c.source_notebook_path(name), as_version=4)
    rel = nbformat.read(c.release_notebook_path(name), as_version=4)
    download = tmp / "lms-download"
    secret = c.source_notebook_path(name)
    kinds = classroom.make_class(sol, rel, download, name, outside_paths={
        "read": [secret, c.course_dir / "gradebook.db"],
        "write": [c.course_dir / "gradebook.db", c.source_dir / name / "planted.txt", tmp / "planted.txt"],
    })
    messages: list[str] = []
    log = messages.append
    collected = instructor.collect(c, name, download, log=log)
    db_before = (c.course_dir / "gradebook.db").read_bytes()
    report = instructor.autograde(c, name, log=log)
    fb = instructor.feedback(c, name, log=log)
    csv_path = instructor.export(c, log=log)
    return {"course": c, "name": name, "kinds": kinds, "collected": collected, "report": report,
            "feedback": fb, "csv": csv_path, "tmp": tmp, "db_before": db_before, "messages": messages}


def _sid(kind) -> str:
    return instructor.student_id(kind.name)


def test_the_class_has_every_kind(graded):
    names = {k.name for k in graded["kinds"]}
    assert len(names) >= 12
    for must in ("correct", "wrong", "exception", "infinite-loop", "stubborn-loop", "edited-test", "deleted-test",
                 "stripped-metadata", "changed-type", "inserted-cells", "huge-output", "broken-json",
                 "outside-files"):
        assert must in names


def test_collect_files_every_student(graded):
    c, name = graded["course"], graded["name"]
    got = {s.student for s in graded["collected"].students}
    assert got == {_sid(k) for k in graded["kinds"]}
    for k in graded["kinds"]:
        nb = c.submitted(_sid(k), name) / f"{name}.ipynb"
        assert nb.exists() == (k.expected is not None), k.name
        if k.expected is not None:
            assert (nb.parent / "timestamp.txt").exists()


def test_no_submission_dropped_and_every_score_right(graded):
    report, name = graded["report"], graded["name"]
    by_student = {s.student: s for s in report.students}
    rows = {r["student_id"]: r for r in csv.DictReader(graded["csv"].open()) if r["assignment"] == name}
    problems = []
    for k in graded["kinds"]:
        sid = _sid(k)
        assert sid in rows, f"{k.name} missing from the grade export"
        if k.expected is None:
            assert float(rows[sid]["score"]) == 0.0
            continue
        assert sid in by_student, f"{k.name} was not graded"
        res = by_student[sid]
        if abs(res.auto_score - k.expected) > 1e-6:
            problems.append(f"{k.name}: got {res.auto_score}, expected {k.expected}; {res.problems} "
                            f"{[(x.grade_id, x.points, x.problem) for x in res.cells]}")
        assert abs(float(rows[sid]["auto_score"]) - res.auto_score) < 1e-6
    assert not problems, "\n".join(problems)


def test_report_says_what_went_wrong(graded):
    c, name = graded["course"], graded["name"]
    text = (c.reports_dir / f"{name}-autograde.md").read_text().lower()
    by_student = {s.student: s for s in graded["report"].students}
    for k in graded["kinds"]:
        if not k.note or k.expected is None:
            continue
        res = by_student[_sid(k)]
        said = " ".join(res.problems + [x.problem for x in res.cells]).lower()
        assert k.note in said, f"{k.name}: the report should mention {k.note!r}; it says {said!r}"
    assert "## correct" in text and "## broken-json" in text


def test_no_hidden_test_text_in_any_feedback(graded):
    c, name = graded["course"], graded["name"]
    fragments = instructor.hidden_test_fragments(nbformat.read(c.source_notebook_path(name), as_version=4),
                                                 nbformat.read(c.release_notebook_path(name), as_version=4))
    assert fragments, "the graded assignment has hidden tests"
    files = list(c.feedback_dir().rglob("*.html"))
    assert not graded["feedback"].withheld
    assert len(files) == sum(1 for k in graded["kinds"] if k.expected is not None)
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert not instructor.leaked_fragments(text, fragments), f
        assert len(text) < 3_000_000, f"{f} is {len(text)} bytes"
    # the feedback still tells a student which checks failed
    wrong = (c.feedback_dir(instructor.student_id("wrong"), name) / f"{name}.html").read_text()
    assert "hidden check" in wrong or "✗" in wrong


def test_the_leak_scan_catches_a_leak(graded):
    c, name = graded["course"], graded["name"]
    frags = instructor.hidden_test_fragments(nbformat.read(c.source_notebook_path(name), as_version=4),
                                             nbformat.read(c.release_notebook_path(name), as_version=4))
    assert instructor.leaked_fragments("<pre>" + frags[0].replace("<", "&lt;") + "</pre>", frags)


def test_nothing_written_outside_and_gradebook_intact(graded):
    c, tmp, name = graded["course"], graded["tmp"], graded["name"]
    assert not (tmp / "planted.txt").exists()
    assert not (c.source_dir / name / "planted.txt").exists()
    assert not list(tmp.rglob("escaped.txt"))
    con = sqlite3.connect(c.course_dir / "gradebook.db")
    try:
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    assert b"tampered" not in (c.course_dir / "gradebook.db").read_bytes()


def test_regrading_one_student_is_stable(graded):
    c, name = graded["course"], graded["name"]
    again = instructor.autograde(c, name, students=[instructor.student_id("correct")], log=lambda m: None,
                                 write_report=False)
    assert again.students[0].auto_score == again.students[0].max_auto > 0
