"""A learner can trust the course with their work.

1. Updating the course (new or changed ``lessons/``) never overwrites a file in the learner's
   workspace: a changed lesson arrives *beside* the learner's copy, a new lesson is copied in, the
   learner's own files are left alone — checked on fixed stories, on random sequences of updates and
   edits (hypothesis), and through the ``mmteach sync`` command.
2. A half-done notebook still runs to the end: with one exercise done, one raising an error and the
   rest untouched, every ordinary cell runs without error, the finished exercise's check passes and
   the others fail with a learner-facing message; a syntax error typed into an answer only breaks
   the cells that use that answer.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmteach import classroom, workspace

REPO = Path(__file__).resolve().parents[1]


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _write(p: Path, text: str) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


# --------------------------------------------------------------------------- 1. updates never overwrite

def test_update_arrives_beside_the_learners_copy(tmp_path):
    lessons, ws = tmp_path / "lessons", tmp_path / "workspace"
    _write(lessons / "01_a" / "01_a.ipynb", "version 1 of lesson 01")
    _write(lessons / "01_a" / "data.csv", "x,y\n1,2\n")
    r = workspace.sync(lessons, ws, today="2026-01-01")
    assert sorted(r.copied) == ["01_a/01_a.ipynb", "01_a/data.csv"]

    mine = ws / "01_a" / "01_a.ipynb"
    mine.write_text("version 1 of lesson 01 + MY ANSWERS")
    _write(ws / "01_a" / "my_notes.md", "notes")
    # the course is updated: lesson 01 changes, lesson 02 appears
    _write(lessons / "01_a" / "01_a.ipynb", "version 2 of lesson 01")
    _write(lessons / "02_b" / "02_b.ipynb", "lesson 02")
    r = workspace.sync(lessons, ws, today="2026-02-01")
    assert mine.read_text() == "version 1 of lesson 01 + MY ANSWERS"
    assert (ws / "01_a" / "my_notes.md").read_text() == "notes"
    assert (ws / "02_b" / "02_b.ipynb").read_text() == "lesson 02"
    beside = ws / "01_a" / "01_a.updated-2026-02-01.ipynb"
    assert beside.read_text() == "version 2 of lesson 01"
    assert r.updated_beside == ["01_a/01_a.updated-2026-02-01.ipynb"]
    assert "beside yours" in r.summary()

    # syncing again changes nothing; a third upstream version gets its own file
    before = {p: _sha(p) for p in ws.rglob("*") if p.is_file() and p.name != workspace.MANIFEST}
    r = workspace.sync(lessons, ws, today="2026-02-01")
    assert not r.copied and not r.updated_beside
    assert before == {p: _sha(p) for p in ws.rglob("*") if p.is_file() and p.name != workspace.MANIFEST}
    _write(lessons / "01_a" / "01_a.ipynb", "version 3 of lesson 01")
    r = workspace.sync(lessons, ws, today="2026-02-01")
    assert r.updated_beside == ["01_a/01_a.updated-2026-02-01-2.ipynb"]
    assert mine.read_text() == "version 1 of lesson 01 + MY ANSWERS"
    assert beside.read_text() == "version 2 of lesson 01"


def test_an_untouched_copy_is_also_never_replaced(tmp_path):
    """Even a copy the learner never edited stays as it is (they may have it open)."""
    lessons, ws = tmp_path / "lessons", tmp_path / "workspace"
    _write(lessons / "01_a" / "01_a.ipynb", "v1")
    workspace.sync(lessons, ws, today="2026-01-01")
    _write(lessons / "01_a" / "01_a.ipynb", "v2")
    workspace.sync(lessons, ws, today="2026-01-02")
    assert (ws / "01_a" / "01_a.ipynb").read_text() == "v1"
    assert (ws / "01_a" / "01_a.updated-2026-01-02.ipynb").read_text() == "v2"


def test_a_damaged_sync_record_costs_no_work(tmp_path):
    lessons, ws = tmp_path / "lessons", tmp_path / "workspace"
    _write(lessons / "01_a" / "01_a.ipynb", "v1")
    workspace.sync(lessons, ws, today="2026-01-01")
    (ws / "01_a" / "01_a.ipynb").write_text("v1 + answers")
    (ws / workspace.MANIFEST).write_text("{ this is not json")
    _write(lessons / "01_a" / "01_a.ipynb", "v2")
    workspace.sync(lessons, ws, today="2026-01-02")
    assert (ws / "01_a" / "01_a.ipynb").read_text() == "v1 + answers"
    assert (ws / "01_a" / "01_a.updated-2026-01-02.ipynb").read_text() == "v2"


def test_real_lessons_update_through_the_sync_command(tmp_path, monkeypatch):
    """`mmteach sync` in a clone: a learner's edited lesson survives a course update."""
    from mmteach import cli

    root = tmp_path / "clone"
    for folder in ("course", "solutions", "mmteach"):
        (root / folder).mkdir(parents=True)
    real = sorted((REPO / "lessons").glob("[0-9][0-9]_*"))[:2]
    assert real, "the repository has lessons"
    shutil.copytree(real[0], root / "lessons" / real[0].name)
    monkeypatch.chdir(root)
    assert cli.main(["sync"]) == 0
    nb_path = root / "workspace" / real[0].name / f"{real[0].name}.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("My own summary of this lesson."))
    nbformat.write(nb, nb_path)
    mine = nb_path.read_bytes()
    # the course is updated: the lesson gains a cell, and a second lesson appears
    up = nbformat.read(root / "lessons" / real[0].name / f"{real[0].name}.ipynb", as_version=4)
    up.cells.insert(1, nbformat.v4.new_markdown_cell("Erratum: a clearer explanation."))
    nbformat.write(up, root / "lessons" / real[0].name / f"{real[0].name}.ipynb")
    if len(real) > 1:
        shutil.copytree(real[1], root / "lessons" / real[1].name)
    assert cli.main(["sync"]) == 0
    assert nb_path.read_bytes() == mine
    beside = list(nb_path.parent.glob(f"{real[0].name}.updated-*.ipynb"))
    assert len(beside) == 1 and "Erratum" in beside[0].read_text()
    if len(real) > 1:
        assert (root / "workspace" / real[1].name / f"{real[1].name}.ipynb").exists()


_ops = st.lists(st.tuples(st.sampled_from(["upstream", "learner", "sync", "new_lesson"]),
                          st.integers(0, 2), st.text("abc", min_size=1, max_size=4)), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_ops)
def test_random_histories_never_lose_learner_work(tmp_path_factory, ops):
    """Any interleaving of course updates, learner edits and syncs keeps every learner edit."""
    tmp = tmp_path_factory.mktemp("hist")
    lessons, ws = tmp / "lessons", tmp / "workspace"
    _write(lessons / "00_x" / "00_x.ipynb", "start")
    workspace.sync(lessons, ws, today="2026-01-01")
    learner_text: dict[Path, str] = {}
    delivered: dict[str, set[str]] = {}   # every upstream content the learner has been handed

    def check_after_sync():
        for path, content in learner_text.items():
            assert path.read_text() == content, "a sync overwrote a learner's edit"
        for lesson_file in lessons.rglob("*.ipynb"):
            rel = lesson_file.relative_to(lessons).as_posix()
            folder = (ws / rel).parent
            seen = delivered.setdefault(rel, set())
            seen.update(p.read_text() for p in folder.glob("*.ipynb") if p not in learner_text)
            if (ws / rel) not in learner_text and (ws / rel).exists():
                seen.add((ws / rel).read_text())
            assert lesson_file.read_text() in seen, f"the current version of {rel} never reached the workspace"

    check_after_sync()
    for step, (op, k, text) in enumerate(ops):
        name = f"0{k}_x"
        rel = f"{name}/{name}.ipynb"
        if op in ("upstream", "new_lesson"):
            _write(lessons / rel, f"upstream {step} {text}")
        elif op == "learner" and (ws / rel).exists():
            seen = delivered.setdefault(rel, set())
            if (ws / rel) not in learner_text:
                seen.add((ws / rel).read_text())
            content = f"learner {step} {text}"
            (ws / rel).write_text(content)
            learner_text[ws / rel] = content
        elif op == "sync":
            workspace.sync(lessons, ws, today=f"2026-02-{1 + step % 28:02d}")
            check_after_sync()
    workspace.sync(lessons, ws, today="2026-03-01")
    check_after_sync()


# --------------------------------------------------------------------------- 2. a half-done notebook runs to the end

SAFETY_LESSONS = [n for n in ("01_supervised_learning", "11_project") if (REPO / "course" / "src" / f"{n}.py").exists()]


def _run(nb, cwd: Path, timeout: int = 600):
    from nbclient import NotebookClient

    env_quick = os.environ.get("MMTEACH_QUICK")
    os.environ["MMTEACH_QUICK"] = "1"
    os.environ.setdefault("MMTEACH_PROGRESS", "0")
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        if env_quick is None:
            os.environ.pop("MMTEACH_QUICK", None)
        else:
            os.environ["MMTEACH_QUICK"] = env_quick
    return nb


def _errors(nb):
    out = []
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code":
            for o in c.get("outputs", []):
                if o.get("output_type") == "error":
                    out.append((i, c, o))
    return out


def _half_done(name: str, tmp: Path, broken_body: str):
    sol = nbformat.read(REPO / "solutions" / name / f"{name}.ipynb", as_version=4)
    rel = nbformat.read(REPO / "lessons" / name / f"{name}.ipynb", as_version=4)
    p = classroom.plan(sol, rel)
    nb = nbformat.read(REPO / "lessons" / name / f"{name}.ipynb", as_version=4)
    cells = {classroom._gid(c): c for c in nb.cells if classroom._gid(c)}
    first, second = p["answers"][0], p["answers"][1]
    cells[first].source = classroom._solution_body(p["solutions"][first])
    cells[second].source = classroom._replace_solution(p["solutions"][second], broken_body)
    work = tmp / name
    shutil.copytree(REPO / "lessons" / name, work)
    return nb, p, work


@pytest.mark.notebook
@pytest.mark.parametrize("name", SAFETY_LESSONS)
def test_half_done_notebook_runs_to_the_end(name, tmp_path):
    nb, p, work = _half_done(name, tmp_path, 'raise RuntimeError("my half-written code")')
    _run(nb, work)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "not every cell ran"
    by_gid = {classroom._gid(c): c for c in nb.cells if classroom._gid(c)}
    problems = []
    for i, c, o in _errors(nb):
        gid = classroom._gid(c)
        md = classroom._nbg(c)
        if md.get("grade"):
            if p["owner"].get(gid) == p["answers"][0]:
                problems.append(f"check {gid} of the finished exercise failed: {o['ename']}: {o['evalue'][:200]}")
            elif o["ename"] not in ("CheckFailed", "ReferenceUsed"):
                problems.append(f"check {gid} failed with a raw {o['ename']} instead of a learner-facing message: "
                                f"{o['evalue'][:200]}")
            elif not str(o["evalue"]).lstrip().startswith("✗"):
                problems.append(f"check {gid}: its message does not read as feedback: {o['evalue'][:200]}")
        else:
            problems.append(f"cell {i} ({gid or 'ordinary'}) failed: {o['ename']}: {str(o['evalue'])[:200]}")
    assert not problems, "\n".join(problems)
    # the broken exercise's check says what went wrong in the learner's own code
    second_tests = [g for g in p["tests"] if p["owner"][g] == p["answers"][1]]
    said = " ".join(str(o["evalue"]) for g in second_tests for o in by_gid[g].get("outputs", [])
                    if o.get("output_type") == "error")
    assert "my half-written code" in said or "RuntimeError" in said


@pytest.mark.notebook
@pytest.mark.parametrize("name", SAFETY_LESSONS[:1])
def test_a_syntax_error_only_breaks_what_uses_it(name, tmp_path):
    nb, p, work = _half_done(name, tmp_path, "return (  # the learner is still typing")
    _run(nb, work)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "not every cell ran"
    broken_cell = next(c for c in nb.cells if classroom._gid(c) == p["answers"][1])
    defined = re.findall(r"^def (\w+)|^class (\w+)", broken_cell.source, re.M)
    names = {a or b for a, b in defined}
    assert names
    for i, c, o in _errors(nb):
        if c is broken_cell:
            assert o["ename"] in ("SyntaxError", "IndentationError")
            continue
        if classroom._nbg(c).get("grade"):
            continue
        assert any(re.search(rf"\b{n}\b", c.source) for n in names), \
            f"cell {i} failed although it does not use {sorted(names)}: {o['ename']}: {str(o['evalue'])[:200]}"
