"""nbgrader settings and helpers shared by ``course/nbgrader_config.py``, the CLI and the tests.

The course root is ``course/``; nbgrader's *source* folder is ``../solutions`` and its *release*
folder is ``../lessons``, so the committed lessons are exactly what nbgrader releases.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from traitlets.config import Config

COURSE_ID = "mmteach"
CELL_TIMEOUT_S = 180       # per cell; a cold librosa cache alone costs ~20 s
HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


def _venv_on_path() -> None:
    """nbgrader runs the ``alembic`` program to create a gradebook; make sure it finds ours even
    when the virtual environment is not activated (e.g. ``.venv/bin/mmteach``)."""
    bindir = os.path.dirname(sys.executable)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in parts:
        os.environ["PATH"] = os.pathsep.join([bindir, *parts])


def configure(c: Config, course_root: str | os.PathLike, *, cell_timeout: int = CELL_TIMEOUT_S) -> Config:
    """Fill an nbgrader config for the course rooted at ``course_root`` (the ``course/`` folder)."""
    _venv_on_path()
    root = str(Path(course_root).resolve())
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.root = root
    c.CourseDirectory.source_directory = "../solutions"
    c.CourseDirectory.release_directory = "../lessons"
    c.CourseDirectory.submitted_directory = "submitted"
    c.CourseDirectory.autograded_directory = "autograded"
    c.CourseDirectory.feedback_directory = "feedback"
    c.CourseDirectory.db_url = "sqlite:///" + os.path.join(root, "gradebook.db")
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store"]
    # A stuck student loop costs one cell, never the whole submission.
    c.Execute.timeout = cell_timeout
    c.Execute.interrupt_on_timeout = True
    c.Execute.raise_on_iopub_timeout = False
    # A student who deletes a test cell gets it back (and is graded on it).
    c.OverwriteCells.add_missing_cells = True
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    # Feedback shows scores and each visible check's message, never hidden test code or messages.
    # A private copy of the solutions (hidden tests an instructor keeps out of the public repository)
    # can stand in for ../solutions: set MMTEACH_SOLUTIONS (mmteach grade --solutions does).
    private = os.environ.get("MMTEACH_SOLUTIONS")
    if private:
        c.CourseDirectory.source_directory = os.path.abspath(os.path.expanduser(private))
    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "mmteach.grading.ScrubHiddenTests",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]
    # The course collects from folders (see mmteach.instructor), not through nbgrader's exchange;
    # a private exchange folder keeps the formgrader from asking for /usr/local/share/nbgrader.
    c.Exchange.root = os.path.join(root, "exchange")
    os.makedirs(c.Exchange.root, exist_ok=True)
    # Grading runs the lessons in quick mode: small data, few epochs.
    os.environ.setdefault("MMTEACH_QUICK", "1")
    os.environ.setdefault("MMTEACH_PROGRESS", "0")
    # Idle OpenMP threads sleep instead of spinning: on a busy grading machine spinning threads
    # slowed torch training by up to 100x.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return c


def make_config(course_root: str | os.PathLike, **kwargs) -> Config:
    """A fresh nbgrader :class:`Config` for the course at ``course_root``."""
    return configure(Config(), course_root, **kwargs)


def api(course_root: str | os.PathLike, config: Config | None = None):
    """An ``NbGraderAPI`` bound to the course, whatever the current folder is."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    cfg = config or make_config(course_root)
    return NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)


# --------------------------------------------------------------------------- feedback scrubbing

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_FRAME = re.compile(r"(?:Cell In\s*\[(?P<count>\d+)\]|<ipython-input-(?P<count2>\d+)-[0-9a-f]+>)[^\n]*?line (?P<line>\d+)")

HIDDEN_FAILURE_TEXT = (
    "A hidden check in this cell failed ({ename}).\n"
    "Hidden checks try cases beyond the visible ones: other shapes, edge cases, extreme values.\n"
    "Re-read the exercise statement and test your function on such inputs yourself."
)


def hidden_line_range(source: str) -> tuple[int, int] | None:
    """1-based inclusive line numbers of the hidden-test block in a cell, or None."""
    begin = end = None
    for i, line in enumerate(source.split("\n"), start=1):
        if HIDDEN_BEGIN in line and begin is None:
            begin = i
        elif HIDDEN_END in line and begin is not None:
            end = i
            break
    if begin is None:
        return None
    return begin, end or len(source.split("\n"))


def strip_hidden(source: str) -> str:
    out, inside = [], False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            inside = True
        elif HIDDEN_END in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def error_lines_in_cell(output, execution_count) -> list[int]:
    """Line numbers the traceback of ``output`` reports inside the cell that raised it."""
    text = _ANSI.sub("", "\n".join(output.get("traceback", [])))
    lines = []
    for m in _FRAME.finditer(text):
        count = m.group("count") or m.group("count2")
        if execution_count is not None and count is not None and int(count) == int(execution_count):
            lines.append(int(m.group("line")))
    return lines


def scrub_cell(cell) -> None:
    """Remove hidden tests from a graded cell's source and outputs, in place.

    Errors raised by the visible part keep their type and message (our checks write those for the
    learner) without the traceback's code context; errors from the hidden part become a generic note.
    """
    if cell.get("cell_type") != "code":
        return
    rng = hidden_line_range(cell.source)
    if rng is None:
        return
    for out in cell.get("outputs", []):
        if out.get("output_type") != "error":
            continue
        if out.get("ename") == "CellTimeoutError":   # says only that time ran out: safe, and useful
            first = _ANSI.sub("", str(out.get("evalue") or "")).strip().split("\n")[0][:240]
            out["traceback"] = [f"CellTimeoutError: {first or 'the cell ran out of time'}"]
            continue
        lines = error_lines_in_cell(out, cell.get("execution_count"))
        from_visible = bool(lines) and not any(rng[0] <= n <= rng[1] for n in lines) and all(n < rng[0] for n in lines)
        ename = out.get("ename", "Error")
        if from_visible:
            evalue = _ANSI.sub("", str(out.get("evalue", "")))
            out["traceback"] = [f"{ename}: {evalue}"]
        else:
            out["evalue"] = "a hidden check failed"
            out["traceback"] = [HIDDEN_FAILURE_TEXT.format(ename=ename)]
    cell.source = strip_hidden(cell.source)


try:  # the preprocessor class needs nbgrader; the helpers above do not
    from nbgrader.preprocessors import NbGraderPreprocessor

    class ScrubHiddenTests(NbGraderPreprocessor):
        """Feedback preprocessor: hidden test code and hidden failure messages never reach students."""

        def preprocess_cell(self, cell, resources, cell_index):
            scrub_cell(cell)
            return cell, resources
except ImportError:  # pragma: no cover
    ScrubHiddenTests = None
