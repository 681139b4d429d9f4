"""The `mmteach grade` commands, as an instructor types them, from a folder that is not course/.

A small purpose-built assignment and three students (right, wrong, no notebook) go through
release → collect (a zip, as an LMS hands it out) → autograde → a manual grade → feedback →
export, and the formgrader starts and lists the submissions.
"""
from __future__ import annotations

import csv
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pytest

from mmteach import classroom, cli, grading, instructor

from test_adversarial_class import PROBE, PROBE_SOURCE
from conftest import stop_server

REPO = Path(__file__).resolve().parents[1]

# one worker runs the whole module (its fixture grades a class once); slow, so not in `make test-fast`
pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group(name="grade_cli")]


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    c = classroom.build_course(REPO, tmp, PROBE, cell_timeout=30, source_text=PROBE_SOURCE)
    (c.root / "mmteach").mkdir(exist_ok=True)            # what makes a folder a clone for repo_root()
    sol = nbformat.read(c.source_notebook_path(PROBE), as_version=4)
    rel = nbformat.read(c.release_notebook_path(PROBE), as_version=4)
    good = classroom.correct_copy(sol, rel)
    wrong = classroom._with_body(classroom.plan(sol, rel), classroom.correct_copy(sol, rel), classroom.WRONG_BODY)
    answer = next(cell for cell in good.cells if classroom._gid(cell) == "why_shift")
    answer.source = "Because exp overflows; the shift cancels in the ratio."   # the written answer
    lms = tmp / "lms.zip"
    with zipfile.ZipFile(lms, "w") as zf:
        zf.writestr(f"Ada Lovelace_301_assignsubmission_file_/{PROBE}.ipynb", nbformat.writes(good))
        zf.writestr(f"babbage_LATE_302_4001_{PROBE}.ipynb", nbformat.writes(wrong))
        zf.writestr("Mary Somerville_303_assignsubmission_file_/notes.txt", "sorry")
    elsewhere = c.root / "lessons"
    old = os.getcwd()
    os.chdir(elsewhere)
    try:
        codes = {
            "release": cli.main(["grade", "release", PROBE, "--zip", str(tmp / "upload")]),
            "collect": cli.main(["grade", "collect", PROBE, str(lms)]),
            "autograde": cli.main(["grade", "autograde", PROBE, "--timeout", "30"]),
        }
        # a manual grade for the written answer, as the formgrader would record it
        from nbgrader.api import Gradebook
        with Gradebook(c.db_url, grading.COURSE_ID) as gb:
            grade = gb.find_grade("why_shift", PROBE, PROBE, "ada_lovelace")
            grade.manual_score = 1.5
            grade.needs_manual_grade = False
            gb.db.commit()
        codes["feedback"] = cli.main(["grade", "feedback", PROBE])
        codes["export"] = cli.main(["grade", "export", "--out", str(tmp / "grades.csv")])
    finally:
        os.chdir(old)
    return {"course": c, "tmp": tmp, "codes": codes}


def test_every_command_succeeds_from_another_folder(cycle):
    assert cycle["codes"] == {"release": 0, "collect": 0, "autograde": 0, "feedback": 0, "export": 0}
    c = cycle["course"]
    assert not (c.root / "lessons" / "gradebook.db").exists(), "nbgrader made a stray gradebook in the cwd"
    assert (cycle["tmp"] / "upload" / f"{PROBE}.zip").exists()
    with zipfile.ZipFile(cycle["tmp"] / "upload" / f"{PROBE}.zip") as zf:
        text = zf.read(f"{PROBE}/{PROBE}.ipynb").decode()
    assert "HIDDEN" not in text and "SECRET-" not in text


def test_export_has_every_student_with_the_right_points(cycle):
    rows = {r["student_id"]: r for r in csv.DictReader((cycle["tmp"] / "grades.csv").open())}
    assert set(rows) == {"ada_lovelace", "babbage", "mary_somerville"}
    assert float(rows["ada_lovelace"]["auto_score"]) == 3.0
    assert float(rows["ada_lovelace"]["score"]) == 4.5            # 3 automatic + 1.5 by hand
    assert rows["ada_lovelace"]["needs_manual_grade"] == "False"
    assert float(rows["babbage"]["auto_score"]) == 2.0            # the wrong mean_abs loses 1 point
    assert rows["mary_somerville"]["submitted"] == "False" and float(rows["mary_somerville"]["score"]) == 0.0


def test_feedback_shows_the_manual_grade_and_no_hidden_test(cycle):
    c = cycle["course"]
    page = (c.feedback_dir("ada_lovelace", PROBE) / f"{PROBE}.html").read_text()
    assert "4.5" in page
    for name in ("ada_lovelace", "babbage"):
        text = (c.feedback_dir(name, PROBE) / f"{PROBE}.html").read_text()
        assert "SECRET-" not in text and "BEGIN HIDDEN" not in text


def test_report_names_the_wrong_answer(cycle):
    text = (cycle["course"].reports_dir / f"{PROBE}-autograde.md").read_text()
    assert "## babbage" in text and "mean_abs_check: 0/1" in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_formgrader_starts_and_lists_the_submissions(cycle):
    c = cycle["course"]
    port = _free_port()
    env = instructor.instructor_env(c)
    token = secrets.token_hex(8)
    env["JUPYTER_TOKEN"] = token
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    cmd = instructor.formgrader_command(c, port=port)
    assert "--ServerApp.default_url=/formgrader" in cmd
    log = (cycle["tmp"] / "formgrader.log").open("w")
    proc = subprocess.Popen(cmd, cwd=c.course_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline, body = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/formgrader/api/assignments?token={token}",
                                            timeout=3) as r:
                    body = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.5)
        assert body is not None, (cycle["tmp"] / "formgrader.log").read_text()[-2000:]
        assignment = next(a for a in body if a["name"] == PROBE)
        assert assignment["num_submissions"] == 2          # Mary sent no notebook
    finally:
        stop_server(proc, log)


def test_private_solutions_folder_holds_the_hidden_tests(tmp_path):
    """`--solutions DIR`: hidden checks come from a private folder, and the release is unchanged."""
    c = classroom.build_course(REPO, tmp_path, PROBE, cell_timeout=30, source_text=PROBE_SOURCE)
    (c.root / "mmteach").mkdir(exist_ok=True)
    public_release = c.release_notebook_path(PROBE).read_bytes()
    private = tmp_path / "private-solutions"
    (private / PROBE).mkdir(parents=True)
    text = c.source_notebook_path(PROBE).read_text()
    stricter = text.replace('assert checks.call(mean_abs, [-3.0]) == 3.0',
                            'assert checks.call(mean_abs, [-3.0]) == 4.0')   # a private hidden check
    assert stricter != text
    (private / PROBE / f"{PROBE}.ipynb").write_text(stricter)
    sol = nbformat.read(c.source_notebook_path(PROBE), as_version=4)
    rel = nbformat.read(c.release_notebook_path(PROBE), as_version=4)
    nbformat.write(classroom.correct_copy(sol, rel), tmp_path / f"ada_{PROBE}.ipynb")
    (tmp_path / "dl").mkdir()
    (tmp_path / f"ada_{PROBE}.ipynb").rename(tmp_path / "dl" / f"ada_{PROBE}.ipynb")
    old = os.getcwd()
    os.chdir(c.root)
    try:
        assert cli.main(["grade", "--solutions", str(private), "release", PROBE]) == 0
        assert cli.main(["grade", "--solutions", str(private), "collect", PROBE, str(tmp_path / "dl")]) == 0
        assert cli.main(["grade", "--solutions", str(private), "autograde", PROBE, "--timeout", "30"]) == 0
    finally:
        os.chdir(old)
    assert c.release_notebook_path(PROBE).read_bytes() == public_release
    rows = {r.student: r for r in instructor.autograde(
        instructor.Course(c.root, solutions=private, cell_timeout=30), PROBE, log=lambda m: None,
        write_report=False).students}
    assert rows["ada"].auto_score == 2.0       # the private hidden check fails the public solution
