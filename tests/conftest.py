"""Shared fixtures: the repository, and throw-away nbgrader courses built from it."""
from __future__ import annotations

import os

# Two pytest workers share two cores: torch's OpenMP threads must not spin-wait for each other
# (that made training up to 100x slower here), and one thread per worker fills the machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import shutil
from pathlib import Path

import pytest

from mmteach import course, grading

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo() -> Path:
    return ROOT


def make_course(tmp: Path, names: list[str], cell_timeout: int = grading.CELL_TIMEOUT_S):
    """A private copy of the course under ``tmp`` (solutions of ``names`` only) and its nbgrader API.

    Returns ``(course_root, api)``; nothing in the repository is written.
    """
    for name in names:
        shutil.copytree(ROOT / "solutions" / name, tmp / "solutions" / name)
    (tmp / "lessons").mkdir(parents=True, exist_ok=True)
    (tmp / "course").mkdir(parents=True, exist_ok=True)
    cfg = grading.make_config(tmp / "course", cell_timeout=cell_timeout)
    return tmp / "course", grading.api(tmp / "course", cfg)


def submit(course_root: Path, student: str, name: str, notebook_path_or_text) -> Path:
    """Place a notebook as ``student``'s submission of lesson ``name``."""
    dest = course_root / "submitted" / student / name
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / f"{name}.ipynb"
    if isinstance(notebook_path_or_text, Path):
        shutil.copy(notebook_path_or_text, target)
    else:  # notebook text
        target.write_text(notebook_path_or_text)
    (dest / "timestamp.txt").write_text("2026-11-21 10:00:00.000000 UTC")
    return target


def scores(course_root: Path, name: str, student: str) -> dict:
    """Automatic scores of one autograded submission, read from the gradebook."""
    from nbgrader.api import Gradebook

    db = "sqlite:///" + str(course_root / "gradebook.db")
    with Gradebook(db, grading.COURSE_ID) as gb:
        sub = gb.find_submission_notebook(name, name, student)
        per_cell = {g.name: (g.score, g.max_score) for g in sub.grades if g.auto_score is not None or g.cell_type == "code"}
        return {"code_score": sub.code_score, "max_code_score": sub.max_code_score, "cells": per_cell}


def stop_server(proc, log=None) -> None:
    """Stop a server process a test started (terminate, then kill after 20 s) and close its log."""
    import subprocess

    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if log is not None:
        log.close()


def lesson_names() -> list[str]:
    return course.lesson_names(ROOT)
