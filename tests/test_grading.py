"""Grading: a fake class of lesson 01 autograded in one run, and feedback that hides hidden tests."""
from __future__ import annotations

import html
import re

import nbformat
import pytest

from mmteach import grading
from conftest import ROOT, make_course, scores, submit

LESSON = "01_supervised_learning"
FULL = 14          # automatic points of lesson 01
SPLIT_POINTS = 2   # split_check
MLP_POINTS = 2     # mlp_check

WRONG_SPLIT = '''def split_indices(n, fractions=(0.6, 0.2, 0.2), seed=0):
    idx = np.arange(n)          # forgot to shuffle
    a, b = int(n * fractions[0]), int(n * fractions[1])
    return idx[:a], idx[a:a + b], idx[a + b:]'''

LOOPING_SPLIT = '''def split_indices(n, fractions=(0.6, 0.2, 0.2), seed=0):
    while True:
        pass'''

MLP_RAISES = '''import torch.nn as nn

def make_mlp(n_in, n_hidden, n_out):
    return nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_out))

def mlp_parameter_count(n_in, n_hidden, n_out):
    raise ValueError("I give up")'''

MLP_STUBBORN = '''import time
import torch.nn as nn

def make_mlp(n_in, n_hidden, n_out):
    return nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_out))

def mlp_parameter_count(n_in, n_hidden, n_out):
    while True:
        try:
            time.sleep(0.05)
        except KeyboardInterrupt:
            pass          # refuses to stop'''


def _answered_lesson():
    """The released lesson with every answer cell filled in correctly, as a student would."""
    nb = nbformat.read(ROOT / "lessons" / LESSON / f"{LESSON}.ipynb", as_version=4)
    src = nbformat.read(ROOT / "solutions" / LESSON / f"{LESSON}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in src.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = "\n".join(l for l in answers[gid].split("\n") if "### " not in l)
    return nb


def _set(nb, grade_id, source):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
            return nb
    raise KeyError(grade_id)


def _delete(nb, grade_id):
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return nb


def _class():
    make = _answered_lesson
    return {
        "correct": (make(), FULL),
        "wrong": (_set(make(), "split", WRONG_SPLIT), FULL - SPLIT_POINTS),
        "exception": (_set(make(), "mlp", MLP_RAISES), FULL - MLP_POINTS),
        "infinite_loop": (_set(make(), "split", LOOPING_SPLIT), FULL - SPLIT_POINTS),
        "stubborn_loop": (_set(make(), "mlp", MLP_STUBBORN), FULL - MLP_POINTS),
        "edited_test": (_set(_set(make(), "split", WRONG_SPLIT), "split_check", "assert True"), FULL - SPLIT_POINTS),
        "deleted_test": (_delete(_set(make(), "split", WRONG_SPLIT), "split_check"), FULL - SPLIT_POINTS),
    }


@pytest.mark.notebook
def test_fake_class_is_graded_right_and_feedback_hides_hidden_tests(tmp_path):
    root, api = make_course(tmp_path, [LESSON], cell_timeout=15)
    assert api.generate_assignment(LESSON, force=True)["success"]
    klass = _class()
    for student, (nb, _) in klass.items():
        submit(root, student, LESSON, nbformat.writes(nb))

    failures = []
    for student, (_, expected) in klass.items():
        result = api.autograde(LESSON, student, force=True)
        if not result["success"]:
            failures.append(f"{student}: autograde failed\n{result.get('log', '')[-2000:]}")
            continue
        got = scores(root, LESSON, student)
        if got["code_score"] != expected or got["max_code_score"] != FULL:
            failures.append(f"{student}: expected {expected}/{FULL}, got {got['code_score']}/{got['max_code_score']} {got['cells']}")
    assert not failures, "\n".join(failures)

    # the edited and deleted checks were restored from the gradebook and ran
    for student in ("edited_test", "deleted_test"):
        nb = nbformat.read(root / "autograded" / student / LESSON / f"{LESSON}.ipynb", as_version=4)
        check = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "split_check"]
        assert len(check) == 1 and "assert True" not in check[0].source

    fb = api.generate_feedback(LESSON, force=True)
    assert fb["success"], fb.get("log", "")
    hidden = _hidden_lines()
    assert hidden, "lesson 01 should have hidden tests"
    for student in klass:
        page = (root / "feedback" / student / LESSON / f"{LESSON}.html").read_text()
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{student}'s feedback shows hidden test code: {leaked[:3]}"
        assert "BEGIN HIDDEN TESTS" not in text
    wrong = html.unescape(re.sub(r"<[^>]+>", "", (root / "feedback" / "wrong" / LESSON / f"{LESSON}.html").read_text()))
    assert "order of the shuffled indices" in wrong, "a visible check's message should reach the student"


def _hidden_lines():
    src = nbformat.read(ROOT / "solutions" / LESSON / f"{LESSON}.ipynb", as_version=4)
    lines = []
    for c in src.cells:
        if c.cell_type == "code" and grading.HIDDEN_BEGIN in c.source:
            block = c.source.split(grading.HIDDEN_BEGIN)[1].split(grading.HIDDEN_END)[0]
            lines += [l.strip() for l in block.split("\n")[1:] if len(l.strip()) > 20]
    return lines


def _cell(source, outputs, count=5):
    cell = nbformat.v4.new_code_cell(source, execution_count=count)
    cell.outputs = [nbformat.v4.new_output("error", ename=e, evalue=v, traceback=tb) for e, v, tb in outputs]
    return cell


SRC = "a = 1\nassert a == 1, 'visible'\n### BEGIN HIDDEN TESTS\nassert a == 2, 'secret message'\n### END HIDDEN TESTS"


def test_scrub_hides_a_failure_in_the_hidden_part():
    cell = _cell(SRC, [("AssertionError", "secret message", ["\x1b[0;31mCell In[5], line 4\x1b[0m", "assert a == 2, 'secret message'"])])
    grading.scrub_cell(cell)
    assert "secret" not in cell.source and "BEGIN HIDDEN" not in cell.source
    out = cell.outputs[0]
    assert "secret" not in out["evalue"] and "secret" not in "".join(out["traceback"])
    assert "hidden check" in "".join(out["traceback"])


def test_scrub_keeps_a_visible_failure_message_without_code_context():
    cell = _cell(SRC, [("CheckFailed", "✗ x: expected 1, got 2", ["Cell In[5], line 2", "----> 2 assert a == 1", "      4 assert a == 2, 'secret message'"])])
    grading.scrub_cell(cell)
    tb = "".join(cell.outputs[0]["traceback"])
    assert "expected 1, got 2" in tb and "secret" not in tb


def test_scrub_treats_an_unlocatable_error_as_hidden():
    cell = _cell(SRC, [("RuntimeError", "secret message", ["no frame information"])])
    grading.scrub_cell(cell)
    assert "secret" not in "".join(cell.outputs[0]["traceback"]) + cell.outputs[0]["evalue"]


def test_scrub_leaves_cells_without_hidden_tests_alone():
    cell = _cell("assert 1 == 2, 'plain'", [("AssertionError", "plain", ["Cell In[5], line 1"])])
    grading.scrub_cell(cell)
    assert cell.outputs[0]["evalue"] == "plain"


def test_scrub_reports_a_timeout_as_a_timeout():
    cell = _cell(SRC, [("CellTimeoutError", "A cell timed out while it was being executed, after 30 seconds.\nmore",
                        ["Cell In[5], line 4", "assert a == 2, 'secret message'"])])
    grading.scrub_cell(cell)
    tb = "".join(cell.outputs[0]["traceback"])
    assert tb.startswith("CellTimeoutError: A cell timed out") and "secret" not in tb and "BEGIN HIDDEN" not in cell.source
