"""A generated class of submissions, careless to hostile, for rehearsing the grading cycle.

:func:`make_class` takes an assignment's solution and released notebooks and writes one
submission per *kind* (correct, wrong, exception, infinite loop, a loop that swallows the
interrupt, an edited locked test, a deleted test, stripped metadata, a changed cell type, inserted
cells, huge output, invalid JSON, file access outside its folder, …) into an LMS-style download
folder, with the score each one should get. ``tests/test_adversarial_class.py`` grades such a
class in one run and checks every score; ``bench/grading.py`` times it.

Scores are predictable because the damage is aimed at the *last* autograded exercise, whose tests
no other exercise depends on.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

SOLUTION_RX = re.compile(r"[ \t]*### BEGIN SOLUTION.*?### END SOLUTION[^\n]*\n?", re.S)


def _nbg(cell) -> dict:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def _gid(cell):
    return _nbg(cell).get("grade_id")


@dataclass
class Kind:
    name: str
    expected: float | None      # automatic points; None: not checked (e.g. no notebook at all)
    note: str                   # what the report must mention (a substring, lower case), or ""
    file: str                   # path of the submission inside the download folder
    describe: str


def _solution_body(src: str) -> str:
    """The solution lines of a cell source, markers removed, indentation kept."""
    return "".join(line for line in src.splitlines(keepends=True) if "### BEGIN SOLUTION" not in line
                   and "### END SOLUTION" not in line)


def _replace_solution(src: str, new_body: str) -> str:
    """Replace the BEGIN/END SOLUTION region of ``src`` with ``new_body`` (indented like the region)."""
    m = re.search(r"^([ \t]*)### BEGIN SOLUTION.*?### END SOLUTION[^\n]*$", src, re.S | re.M)
    if not m:
        raise ValueError("no solution region in the cell")
    indent = m.group(1)
    body = "\n".join(indent + line if line else line for line in new_body.split("\n"))
    return src[: m.start()] + body + src[m.end():]


def plan(solution_nb, release_nb) -> dict:
    """Which cells matter: answer cells, test cells, and the tests of the last exercise."""
    sol_by_id = {_gid(c): c for c in solution_nb.cells if _gid(c)}
    answers, tests, owner = [], [], {}
    current = None
    for c in release_nb.cells:
        g = _gid(c)
        if not g:
            continue
        md = _nbg(c)
        if md.get("solution") and c.cell_type == "code":
            answers.append(g)
            current = g
        elif md.get("grade") and c.cell_type == "code":
            tests.append(g)
            owner[g] = current
    if not answers or not tests:
        raise ValueError("the assignment needs at least one answer cell and one test cell")
    target = answers[-1]
    points = {g: float(_nbg(sol_by_id[g]).get("points", 0)) for g in tests}
    target_tests = [g for g in tests if owner[g] == target]
    total = sum(points.values())
    lost = sum(points[g] for g in target_tests)
    first = answers[0]
    first_points = sum(points[g] for g in tests if owner[g] == first)
    return {"answers": answers, "tests": tests, "owner": owner, "target": target, "target_tests": target_tests,
            "total": total, "target_points": lost, "first": first, "first_points": first_points,
            "solutions": {g: sol_by_id[g].source for g in answers}}


def correct_copy(solution_nb, release_nb):
    """The released lesson with every code answer filled in from the solution, written answers too."""
    nb = copy.deepcopy(release_nb)
    sol = {_gid(c): c for c in solution_nb.cells if _gid(c)}
    for c in nb.cells:
        g = _gid(c)
        if g and _nbg(c).get("solution"):
            c.source = _solution_body(sol[g].source)
    return nb


def _cell(nb, gid):
    for i, c in enumerate(nb.cells):
        if _gid(c) == gid:
            return i, c
    raise KeyError(gid)


def _with_body(p, nb, body: str):
    i, c = _cell(nb, p["target"])
    c.source = _replace_solution(p["solutions"][p["target"]], body)
    return nb


WRONG_BODY = "return None  # (a wrong answer)"
EXCEPTION_BODY = 'raise ValueError("I did not get this one to work")'
LOOP_BODY = "while True:\n    pass"
STUBBORN_BODY = ("import time as _t\n"
                 "while True:\n"
                 "    try:\n"
                 "        _t.sleep(0.05)\n"
                 "    except KeyboardInterrupt:\n"
                 "        pass")


def make_class(solution_nb, release_nb, download: Path, assignment: str, *, outside_paths: dict | None = None,
               huge_chars: int = 5_000_000) -> list[Kind]:
    """Write an LMS-style download of one submission per kind into ``download``; return the kinds.

    ``outside_paths`` names files the hostile submission reaches for: ``{"read": [...], "write": [...]}``.
    """
    download = Path(download)
    download.mkdir(parents=True, exist_ok=True)
    p = plan(solution_nb, release_nb)
    full, lost_last = p["total"], p["total"] - p["target_points"]
    good = lambda: correct_copy(solution_nb, release_nb)  # noqa: E731
    kinds: list[Kind] = []

    def put(name, nb_or_text, expected, note, describe, *, layout="file"):
        if layout == "file":      # Canvas style: <student>_<id>_<id>_<assignment>.ipynb
            rel = f"{name}_1001_2002_{assignment}.ipynb"
        elif layout == "folder":  # Moodle style: a folder per student
            rel = f"{name.title()}_4242_assignsubmission_file_/{assignment}.ipynb"
        elif layout == "renamed":
            rel = f"{name}/{assignment} (1).ipynb"
        else:
            raise ValueError(layout)
        path = download / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = nb_or_text if isinstance(nb_or_text, str) else nbformat.writes(nb_or_text)
        path.write_text(text, encoding="utf-8")
        kinds.append(Kind(name, expected, note, rel, describe))

    put("correct", good(), full, "", "every answer right")
    put("untouched", copy.deepcopy(release_nb), 0.0, "", "the released lesson, unchanged")
    put("wrong", _with_body(p, good(), WRONG_BODY), lost_last, "", "last exercise returns a wrong value")
    put("exception", _with_body(p, good(), EXCEPTION_BODY), lost_last, "valueerror",
        "last exercise raises an exception")
    put("infinite-loop", _with_body(p, good(), LOOP_BODY), lost_last, "timed out", "last exercise never returns")
    put("stubborn-loop", _with_body(p, good(), STUBBORN_BODY), lost_last, "restarted",
        "last exercise loops and swallows KeyboardInterrupt")

    nb = _with_body(p, good(), WRONG_BODY)
    for g in p["target_tests"]:
        _cell(nb, g)[1].source = 'print("all tests passed, honestly")'
    put("edited-test", nb, lost_last, "was edited", "wrong last answer, its test cell rewritten to pass")

    nb = good()
    for g in p["target_tests"]:
        i, _ = _cell(nb, g)
        del nb.cells[i]
    put("deleted-test", nb, full, "was deleted", "right answers, the last exercise's test cells deleted")

    nb = good()
    for c in nb.cells:
        c.metadata = {}
    put("stripped-metadata", nb, full, "metadata was missing", "right answers, every cell's metadata stripped",
        layout="folder")

    nb = good()
    i, c = _cell(nb, p["target"])
    nb.cells[i] = nbformat.v4.new_markdown_cell(c.source, metadata=c.metadata)
    j, t = _cell(nb, p["target_tests"][0])
    nb.cells[j] = nbformat.v4.new_raw_cell(t.source, metadata=t.metadata)
    put("changed-type", nb, full, "changed back", "right answers; last answer cell made markdown, its test raw")

    nb = good()
    extra = [nbformat.v4.new_markdown_cell("My notes: remember to **normalise** first."),
             nbformat.v4.new_code_cell("scratch = [i * i for i in range(10)]\nprint(sum(scratch))")]
    nb.cells[0:0] = [copy.deepcopy(extra[0])]
    i, _ = _cell(nb, p["target"])
    nb.cells[i:i] = copy.deepcopy(extra)
    nb.cells.append(nbformat.v4.new_code_cell("print('the end of my notebook')"))
    put("inserted-cells", nb, full, "", "right answers plus cells of the student's own")

    nb = good()
    big = nbformat.v4.new_code_cell(f"print('x' * {huge_chars})")
    big.outputs = [nbformat.v4.new_output("stream", name="stdout", text="y" * huge_chars)]
    nb.cells.insert(len(nb.cells) // 2, big)
    put("huge-output", nb, full, "output was cut", "right answers plus a cell that prints megabytes")

    text = nbformat.writes(good())
    put("broken-json", text[: len(text) // 2], 0.0, "not valid json", "a notebook file cut in half")

    outside = outside_paths or {}
    lines = ["import os"]
    for path in outside.get("read", []):
        lines.append(f"try:\n    print(len(open({str(path)!r}).read()))\nexcept Exception as e:\n    print('no read:', e)")
    for path in outside.get("write", []):
        lines.append(f"try:\n    open({str(path)!r}, 'a').write('tampered')\nexcept Exception as e:\n    print('no write:', e)")
    lines.append("open('../escaped.txt', 'w').write('out of my folder')")
    nb = good()
    nb.cells.insert(1, nbformat.v4.new_code_cell("\n".join(lines)))
    put("outside-files", nb, full, "outside its folder", "right answers plus a cell that reads and writes elsewhere")

    nb = good()
    i, c = _cell(nb, p["target"])
    nb.cells.insert(i + 1, copy.deepcopy(c))
    put("duplicated-cell", nb, full, "appears twice", "right answers, an answer cell copied with its metadata")

    nb = copy.deepcopy(release_nb)
    i, c = _cell(nb, p["first"])
    c.source = _solution_body(p["solutions"][p["first"]])
    put("half-done", nb, p["first_points"], "", "only the first exercise done", layout="renamed")

    empty = download / "no-notebook"
    empty.mkdir(exist_ok=True)
    (empty / "README.txt").write_text("I could not finish, sorry.\n")
    kinds.append(Kind("no-notebook", None, "no notebook", "no-notebook/README.txt", "a folder without a notebook"))
    return kinds


def build_course(repo: Path, tmp: Path, name: str, cell_timeout: int | None = None, source_text: str | None = None):
    """A private copy of the course in ``tmp/repo`` holding only lesson ``name``, released and
    registered in a fresh gradebook; returns its :class:`mmteach.instructor.Course`.

    ``source_text`` replaces the lesson source (for a purpose-built assignment)."""
    import shutil

    from . import course, instructor

    repo, root = Path(repo), Path(tmp) / "repo"
    (root / "course" / "src").mkdir(parents=True)
    shutil.copy(repo / "course" / "nbgrader_config.py", root / "course" / "nbgrader_config.py")
    if source_text is None:
        shutil.copy(repo / "course" / "src" / f"{name}.py", root / "course" / "src" / f"{name}.py")
        for extra in (repo / "solutions" / name).glob("*"):   # data files that ship with the lesson
            if extra.is_file() and extra.suffix != ".ipynb":
                (root / "solutions" / name).mkdir(parents=True, exist_ok=True)
                shutil.copy(extra, root / "solutions" / name / extra.name)
    else:
        (root / "course" / "src" / f"{name}.py").write_text(source_text)
    course.build_solutions(root, [name])
    c = instructor.Course(root, cell_timeout=cell_timeout)
    if instructor.release(c, [name], log=lambda m: None) != 0:
        raise RuntimeError(f"could not release {name} in {root}")
    return c
