"""The notebook contract every lesson must meet (the CI gate).

For each lesson: its source builds to the committed solution notebook; nbgrader's release of that
notebook equals the committed lesson byte for byte; the solution executes top to bottom in quick
mode and autogrades to full points with no error in any cell; the untouched lesson executes to the
end, autogrades to 0 automatic points, and fails only in its check cells; nothing leaks.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from mmteach import course
from conftest import ROOT, lesson_names, make_course, scores, submit

LESSONS = lesson_names()


def _cells(path: Path):
    return json.loads(path.read_text())["cells"]


def _md(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def test_there_are_lessons():
    assert "01_supervised_learning" in LESSONS
    assert sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir()) == LESSONS, \
        "solutions/ holds a folder without a source in course/src (or the reverse)"
    assert sorted(p.name for p in (ROOT / "lessons").iterdir() if p.is_dir()) == LESSONS, \
        "lessons/ does not mirror solutions/: run `mmteach release`"


@pytest.mark.parametrize("name", LESSONS)
def test_source_builds_to_committed_solution(name):
    committed = course.solution_path(name, ROOT).read_text(encoding="utf-8")
    assert course.render_solution(name, ROOT) == committed, \
        f"solutions/{name} is out of date with course/src/{name}.py: run `mmteach release {name}`"


@pytest.mark.parametrize("name", LESSONS)
def test_static_contract(name):
    sol, les = course.solution_path(name, ROOT), course.lesson_path(name, ROOT)
    for path in (sol, les):
        cells = _cells(path)
        ids = [_md(c)["grade_id"] for c in cells if _md(c).get("grade_id")]
        assert len(ids) == len(set(ids)), f"{path}: duplicate grade_id"
        for c in cells:
            assert not (c["cell_type"] == "code" and c.get("outputs")), f"{path}: stored outputs"
            if _md(c).get("grade"):
                assert _md(c).get("points", 0) > 0, f"{path}: graded cell {_md(c)['grade_id']} has no points"
    lesson_text = les.read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in lesson_text, f"{les}: '{marker}' leaked into the released lesson"
    sol_cells = _cells(sol)
    tests = [c for c in sol_cells if _md(c).get("grade") and c["cell_type"] == "code"]
    answers = [c for c in sol_cells if _md(c).get("grade") and c["cell_type"] == "markdown"]
    solutions = [c for c in sol_cells if _md(c).get("solution") and c["cell_type"] == "code"]
    if name != "11_project":   # the capstone is mostly graded by hand
        assert 3 <= len(tests) <= 12, f"{name}: expected 3–12 autograded check cells, found {len(tests)}"
        assert len(solutions) >= 3, f"{name}: expected at least 3 answer cells"
    assert answers, f"{name}: expected at least one written answer graded by hand"
    # hidden solution lines must not appear in the lesson
    for c in sol_cells:
        if _md(c).get("solution") and c["cell_type"] == "code":
            src = "".join(c["source"]).split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
            body = [ln.strip() for ln in src.splitlines() if len(ln.strip()) > 25]
            for ln in body:
                assert ln not in lesson_text, f"{name}: solution line leaked into the lesson: {ln!r}"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Autograde each lesson twice (solution, untouched lesson) in a private course, once per module."""
    results = {}

    def run(name):
        if name in results:
            return results[name]
        tmp = tmp_path_factory.mktemp(name)
        root, api = make_course(tmp, [name])
        gen = api.generate_assignment(name, force=True)
        assert gen["success"], gen.get("log", "") + gen.get("error", "")
        submit(root, "solution", name, ROOT / "solutions" / name / f"{name}.ipynb")
        submit(root, "untouched", name, tmp / "lessons" / name / f"{name}.ipynb")
        out = {"tmp": tmp, "root": root}
        for student in ("solution", "untouched"):
            res = api.autograde(name, student, force=True)
            out[student] = res
            if res["success"]:
                out[student + "_scores"] = scores(root, name, student)
                out[student + "_nb"] = nbformat.read(root / "autograded" / student / name / f"{name}.ipynb", as_version=4)
        results[name] = out
        return out

    return run


def _errors(nb):
    found = []
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code":
            continue
        for o in c.get("outputs", []):
            if o.get("output_type") == "error":
                found.append((i, c.metadata.get("nbgrader", {}).get("grade_id"), bool(c.metadata.get("nbgrader", {}).get("grade")),
                              f"{o.get('ename')}: {str(o.get('evalue'))[:300]}"))
    return found


@pytest.mark.notebook
@pytest.mark.parametrize("name", LESSONS)
def test_release_matches_committed_lesson(name, graded):
    r = graded(name)
    built = r["tmp"] / "lessons" / name
    committed = ROOT / "lessons" / name
    built_files = sorted(p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file())
    committed_files = sorted(p.relative_to(committed).as_posix() for p in committed.rglob("*") if p.is_file())
    assert built_files == committed_files, f"lessons/{name} files differ from a fresh release"
    for rel in built_files:
        assert (built / rel).read_bytes() == (committed / rel).read_bytes(), \
            f"lessons/{name}/{rel} differs from what nbgrader releases: run `mmteach release {name}`"


@pytest.mark.notebook
@pytest.mark.parametrize("name", LESSONS)
def test_solution_earns_full_points(name, graded):
    r = graded(name)
    assert r["solution"]["success"], r["solution"].get("log", "")[-3000:]
    s = r["solution_scores"]
    assert s["max_code_score"] > 0
    assert s["code_score"] == s["max_code_score"], f"{name}: solution scored {s['code_score']}/{s['max_code_score']}: {s['cells']}"
    errors = _errors(r["solution_nb"])
    assert not errors, f"{name}: cells of the solution raised: {errors}"


@pytest.mark.notebook
@pytest.mark.parametrize("name", LESSONS)
def test_untouched_lesson_earns_zero_and_runs_to_the_end(name, graded):
    r = graded(name)
    assert r["untouched"]["success"], r["untouched"].get("log", "")[-3000:]
    s = r["untouched_scores"]
    assert s["code_score"] == 0, f"{name}: an untouched lesson earned {s['code_score']} points: {s['cells']}"
    nb = r["untouched_nb"]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), f"{name}: not every cell of the untouched lesson ran"
    stray = [e for e in _errors(nb) if not e[2]]
    assert not stray, f"{name}: with exercises unfinished, cells other than checks failed: {stray}"
