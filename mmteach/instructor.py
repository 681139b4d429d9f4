"""The instructor's grading cycle: release → collect → autograde → manual grading → feedback → export.

Every step works from any folder (nbgrader itself reads its config only from the current folder;
here the config comes from :func:`mmteach.grading.make_config`), and every step survives a class
of careless, clever or broken submissions:

* **collect** takes an LMS download — a folder or zip holding one folder or zip per student, or
  notebooks named ``<student>_..._<assignment>.ipynb`` — and files each notebook under
  ``course/submitted/<student>/<assignment>/<assignment>.ipynb`` with a ``timestamp.txt``.
* **autograde** first *repairs* each submission against the released lesson (nbgrader 0.9.6 crashes
  or silently scores 0 on stripped metadata, deleted or retyped cells, invalid JSON), then grades
  one student at a time in a staging folder outside the course, with a per-cell timeout, a kernel
  restart when a loop ignores the interrupt, an output cap, and a guard that refuses file access
  outside the submission's own folder. It never drops a student: each one gets a score and a
  plain account of what went wrong, written to ``course/reports/``.
* **feedback** writes HTML feedback with hidden tests removed (code *and* messages), then scans
  every file for hidden-test text and withholds any file that still has some.
* **export** writes one CSV row per student and assignment.
* **formgrader** opens JupyterLab on the course for manual grading.

The command line is ``mmteach grade ...`` (see :mod:`mmteach.cli`).
"""
from __future__ import annotations

import asyncio
import copy
import csv
import datetime as _dt
import difflib
import html
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
import tokenize
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

import nbformat

from . import grading

SOLUTIONS_ENV = "MMTEACH_SOLUTIONS"        # a private copy of solutions/ (hidden tests stay private)
MAX_OUTPUT_CHARS = 200_000                 # printed text per cell while grading; the rest is cut with a note
MAX_RICH_OUTPUT_CHARS = 20_000_000         # figures and other rich output per cell (base64 counts)
INTERRUPT_GRACE_S = 5.0                    # how long an interrupted cell may take to stop
GUARD_LOG_NAME = "file-access.jsonl"


# --------------------------------------------------------------------------- course paths

@dataclass
class Course:
    """Where the course lives. ``root`` is the repository (with ``course/``, ``solutions/``, ``lessons/``)."""

    root: Path
    solutions: Path | None = None   # None: <root>/solutions, or $MMTEACH_SOLUTIONS
    cell_timeout: int | None = None

    def __post_init__(self):
        _venv_tools_on_path()
        self.root = Path(self.root).resolve()
        if self.solutions is None and os.environ.get(SOLUTIONS_ENV):
            self.solutions = Path(os.environ[SOLUTIONS_ENV])
        if self.solutions is not None:
            self.solutions = Path(self.solutions).expanduser().resolve()
            if not self.solutions.is_dir():
                raise FileNotFoundError(f"the solutions folder {self.solutions} does not exist "
                                        f"(given by --solutions or ${SOLUTIONS_ENV})")

    @property
    def course_dir(self) -> Path:
        return self.root / "course"

    @property
    def source_dir(self) -> Path:
        return self.solutions or self.root / "solutions"

    @property
    def release_dir(self) -> Path:
        return self.root / "lessons"

    def submitted(self, student: str = "", assignment: str = "") -> Path:
        return self.course_dir.joinpath("submitted", student, assignment)

    def autograded(self, student: str = "", assignment: str = "") -> Path:
        return self.course_dir.joinpath("autograded", student, assignment)

    def feedback_dir(self, student: str = "", assignment: str = "") -> Path:
        return self.course_dir.joinpath("feedback", student, assignment)

    @property
    def reports_dir(self) -> Path:
        return self.course_dir / "reports"

    @property
    def db_url(self) -> str:
        return "sqlite:///" + str(self.course_dir / "gradebook.db")

    def config(self, *, autograded_dir: Path | None = None, execute_args: list[str] | None = None):
        """nbgrader config for this course: the shared settings plus the hardened grading steps."""
        kwargs = {} if self.cell_timeout is None else {"cell_timeout": int(self.cell_timeout)}
        c = grading.make_config(self.course_dir, **kwargs)
        if self.solutions is not None:
            c.CourseDirectory.source_directory = str(self.solutions)
        if autograded_dir is not None:
            c.CourseDirectory.autograded_directory = str(autograded_dir)
        from nbconvert.preprocessors import ClearMetadataPreprocessor
        from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput,
                                            SaveAutoGrades)
        c.Autograde.autograde_preprocessors = [GuardedExecute, IgnorePattern, ClearMetadataPreprocessor,
                                               LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
        c.GuardedExecute.timeout = c.Execute.timeout
        c.GuardedExecute.interrupt_on_timeout = True
        c.GuardedExecute.raise_on_iopub_timeout = False
        c.GuardedExecute.extra_arguments = ["--HistoryManager.hist_file=:memory:", *(execute_args or [])]
        return c

    def api(self, **kwargs):
        return grading.api(self.course_dir, self.config(**kwargs))

    def release_notebook_path(self, assignment: str) -> Path:
        return self.release_dir / assignment / f"{assignment}.ipynb"

    def source_notebook_path(self, assignment: str) -> Path:
        return self.source_dir / assignment / f"{assignment}.ipynb"


def _venv_tools_on_path() -> None:
    """nbgrader runs ``alembic`` from PATH when it opens a gradebook; a venv's python run by its
    full path (``.venv/bin/python -m ...``) does not put ``.venv/bin`` on PATH."""
    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in parts:
        os.environ["PATH"] = os.pathsep.join([bindir, *parts])


def _log(msg: str) -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------- release

def release(course: Course, assignments: list[str], zip_to: Path | None = None, log=_log) -> int:
    """Generate the student version of each assignment (``lessons/NN``) and register it in the
    gradebook. With ``zip_to``, also write ``NN.zip`` there for upload to an LMS."""
    api = course.api()
    failed = 0
    for name in assignments:
        if not course.source_notebook_path(name).exists():
            log(f"✗ {name}: no source notebook at {course.source_notebook_path(name)}")
            failed += 1
            continue
        result = api.generate_assignment(name, force=True)
        if not result.get("success"):
            failed += 1
            log(f"✗ {name}: release failed\n{result.get('error', '')}{result.get('log', '')}")
            continue
        log(f"✓ released {course.release_dir.name}/{name}")
        if zip_to is not None:
            zip_to = Path(zip_to)
            zip_to.mkdir(parents=True, exist_ok=True)
            out = zip_to / f"{name}.zip"
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in sorted((course.release_dir / name).rglob("*")):
                    if f.is_file() and ".ipynb_checkpoints" not in f.parts:
                        zf.write(f, f.relative_to(course.release_dir).as_posix())
            log(f"  wrote {out} for upload")
    return 1 if failed else 0


def ensure_assignment(course: Course, assignment: str, log=_log) -> None:
    """Make sure the gradebook knows the assignment (generate_assignment records its cells)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.db_url, grading.COURSE_ID) as gb:
        try:
            a = gb.find_assignment(assignment)
            if a.notebooks:
                return
        except MissingEntry:
            pass
    if not course.source_notebook_path(assignment).exists():
        raise FileNotFoundError(f"no source notebook for {assignment!r} at {course.source_notebook_path(assignment)}")
    log(f"registering {assignment} in the gradebook (nbgrader generate_assignment)")
    result = course.api().generate_assignment(assignment, force=True)
    if not result.get("success"):
        raise RuntimeError(f"generate_assignment {assignment} failed:\n{result.get('error', '')}{result.get('log', '')}")


# --------------------------------------------------------------------------- collect

@dataclass
class Collected:
    student: str
    origin: str
    notes: list[str] = field(default_factory=list)
    notebook: Path | None = None


@dataclass
class CollectReport:
    assignment: str
    students: list[Collected] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"collect {self.assignment}: {sum(1 for s in self.students if s.notebook)} notebook(s) "
                 f"from {len(self.students)} student(s)"]
        for s in self.students:
            mark = "✓" if s.notebook else "✗"
            extra = "" if not s.notes else " — " + "; ".join(s.notes)
            lines.append(f"  {mark} {s.student:<24} from {s.origin}{extra}")
        for x in self.skipped:
            lines.append(f"  · skipped {x}")
        return "\n".join(lines)


_LMS_SUFFIX = re.compile(r"_\d+_assignsubmission_\w*$")   # Moodle: "Jane Doe_12345_assignsubmission_file_"


def student_id(raw: str) -> str:
    """A safe nbgrader student id from an LMS name: ascii, lower case, ``[a-z0-9_.-]``."""
    raw = _LMS_SUFFIX.sub("", raw.strip())
    ascii_ = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    sid = re.sub(r"[^a-z0-9_.-]+", "_", ascii_.lower()).strip("._-")
    if not sid:
        raise ValueError(f"cannot make a student id from {raw!r}")
    return sid


def _safe_extract(zf: zipfile.ZipFile, dest: Path) -> None:
    dest = dest.resolve()
    for info in zf.infolist():
        target = (dest / info.filename).resolve()
        if not str(target).startswith(str(dest) + os.sep) and target != dest:
            raise ValueError(f"zip entry {info.filename!r} points outside the archive")
        if info.file_size > 500 * 2**20:
            raise ValueError(f"zip entry {info.filename!r} is larger than 500 MB")
    zf.extractall(dest)
    for info in zf.infolist():  # keep the submission times the LMS recorded
        t = time.mktime(info.date_time + (0, 0, -1))
        p = dest / info.filename
        if p.exists():
            os.utime(p, (t, t))


def _notebooks_in(folder: Path, tmp: Path) -> list[Path]:
    found = []
    for p in sorted(folder.rglob("*")):
        if set(p.relative_to(folder).parts) & {".ipynb_checkpoints", "__MACOSX"} or not p.is_file():
            continue
        if p.suffix == ".ipynb":
            found.append(p)
        elif p.suffix == ".zip":
            inner = Path(tempfile.mkdtemp(dir=tmp))
            try:
                with zipfile.ZipFile(p) as zf:
                    _safe_extract(zf, inner)
                found.extend(_notebooks_in(inner, tmp))
            except (zipfile.BadZipFile, ValueError):
                pass
    return found


def _choose(notebooks: list[Path], assignment: str) -> tuple[Path | None, list[str]]:
    if not notebooks:
        return None, ["no notebook (.ipynb) in the submission"]
    exact = [p for p in notebooks if p.stem == assignment]
    named = [p for p in notebooks if assignment in p.stem]
    pool = exact or named or notebooks
    pick = max(pool, key=lambda p: p.stat().st_mtime)
    notes = []
    if len(notebooks) > 1:
        notes.append(f"{len(notebooks)} notebooks submitted; graded {pick.name}")
    if pick.stem != assignment:
        notes.append(f"notebook named {pick.name}, filed as {assignment}.ipynb")
    return pick, notes


_CANVAS = re.compile(r"^(?P<student>.+?)(?:_LATE)?_\d+_\d+_")   # name[_LATE]_userid_submissionid_file


def _file_student(name: str, assignment: str, pattern: re.Pattern | None) -> str:
    stem = name[:-len(".ipynb")] if name.endswith(".ipynb") else name
    if pattern is None and _CANVAS.match(stem):
        return _CANVAS.match(stem).group("student")
    if pattern is not None:
        m = pattern.match(name)
        if not m or "student" not in m.groupdict():
            raise ValueError(f"file name {name!r} does not match --pattern (it needs a (?P<student>...) group)")
        return m.group("student")
    idx = stem.find(assignment)
    if idx > 0:
        stem = stem[:idx].rstrip("_- ")
    elif idx == 0:
        raise ValueError(f"file name {name!r} names no student (expected <student>_..._{assignment}.ipynb)")
    first = stem.split("_")[0]
    return first or stem


def collect(course: Course, assignment: str, source: Path, *, pattern: str | None = None, log=_log) -> CollectReport:
    """File an LMS download of ``assignment`` under ``course/submitted/<student>/<assignment>/``.

    ``source`` is a folder or a zip holding, per student, a folder, a zip, or a notebook named
    ``<student>_..._<assignment>.ipynb`` (Canvas) / a folder ``Name_123_assignsubmission_file_``
    (Moodle) / ``<student>.ipynb``. ``pattern`` (a regex with a ``student`` group) overrides how
    file names are read. A student whose submission holds no notebook is still recorded (and
    exported with 0). An earlier collected version that differs is moved to
    ``course/downloaded/<assignment>/replaced/``.
    """
    from nbgrader.api import Gradebook

    source = Path(source).expanduser().resolve()
    if not source.exists():
        raise FileNotFoundError(f"no submissions at {source}")
    rx = re.compile(pattern) if pattern else None
    report = CollectReport(assignment)
    with tempfile.TemporaryDirectory(prefix="mmteach-collect-") as tmpname:
        tmp = Path(tmpname)
        base = source
        if source.is_file():
            if source.suffix != ".zip":
                raise ValueError(f"{source} is neither a folder nor a .zip of submissions")
            base = tmp / "download"
            with zipfile.ZipFile(source) as zf:
                _safe_extract(zf, base)
            entries = [p for p in base.iterdir() if p.name != "__MACOSX"]
            if len(entries) == 1 and entries[0].is_dir() and not _LMS_SUFFIX.search(entries[0].name) \
                    and any(x.is_dir() or x.suffix in {".zip", ".ipynb"} for x in entries[0].iterdir()) \
                    and len([x for x in entries[0].iterdir() if x.is_dir() or x.suffix == ".zip"]) > 1:
                base = entries[0]   # the zip wraps everything in one folder
        picked: dict[str, list[tuple[Path, Collected]]] = {}
        for entry in sorted(base.iterdir()):
            if entry.name.startswith(".") or entry.name == "__MACOSX":
                continue
            try:
                if entry.is_dir():
                    sid = student_id(entry.name)
                    nb, notes = _choose(_notebooks_in(entry, tmp), assignment)
                elif entry.suffix == ".zip":
                    sid = student_id(_file_student(entry.name[:-4], assignment, rx) if rx else entry.stem)
                    inner = Path(tempfile.mkdtemp(dir=tmp))
                    try:
                        with zipfile.ZipFile(entry) as zf:
                            _safe_extract(zf, inner)
                        nb, notes = _choose(_notebooks_in(inner, tmp), assignment)
                    except (zipfile.BadZipFile, ValueError) as err:
                        nb, notes = None, [f"the zip file could not be opened ({err})"]
                elif entry.suffix == ".ipynb":
                    sid = student_id(_file_student(entry.name, assignment, rx))
                    nb, notes = entry, []
                else:
                    report.skipped.append(f"{entry.name} (not a folder, zip or notebook)")
                    continue
            except ValueError as err:
                report.skipped.append(f"{entry.name} ({err})")
                continue
            picked.setdefault(sid, []).append((nb, Collected(sid, entry.name, notes, nb)))

        with Gradebook(course.db_url, grading.COURSE_ID) as gb:
            for sid, items in sorted(picked.items()):
                with_nb = [it for it in items if it[0] is not None]
                nb, rec = max(with_nb, key=lambda it: it[0].stat().st_mtime) if with_nb else items[0]
                if len(items) > 1:
                    rec.notes.append(f"{len(items)} submissions under this name; kept the newest ({rec.origin})")
                gb.update_or_create_student(sid)
                report.students.append(rec)
                if nb is None:
                    continue
                dest_dir = course.submitted(sid, assignment)
                dest = dest_dir / f"{assignment}.ipynb"
                data = nb.read_bytes()
                if dest.exists():
                    if dest.read_bytes() == data:
                        rec.notes.append("unchanged since the last collect")
                    else:
                        keep = course.course_dir / "downloaded" / assignment / "replaced"
                        keep.mkdir(parents=True, exist_ok=True)
                        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
                        shutil.move(str(dest), keep / f"{sid}-{stamp}.ipynb")
                        rec.notes.append("replaced the earlier collected version (kept in course/downloaded)")
                dest_dir.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)
                when = _dt.datetime.fromtimestamp(nb.stat().st_mtime, tz=_dt.timezone.utc)
                (dest_dir / "timestamp.txt").write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f %Z") + "\n")
                rec.notebook = dest
    log(report.summary())
    return report


# --------------------------------------------------------------------------- repairing a submission

def _nbg(cell) -> dict:
    md = cell.get("metadata") or {}
    nbg = md.get("nbgrader")
    return nbg if isinstance(nbg, dict) else {}


def _gid(cell) -> str | None:
    gid = _nbg(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def _src(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else str(s)


def _salvage(text: str) -> nbformat.NotebookNode | None:
    """A notebook rebuilt from JSON that has cells but fails nbformat's schema."""
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    cells = raw.get("cells") if isinstance(raw, dict) else None
    if not isinstance(cells, list):
        return None
    nb = nbformat.v4.new_notebook()
    for c in cells:
        if not isinstance(c, dict):
            continue
        src = c.get("source", "")
        src = "".join(map(str, src)) if isinstance(src, list) else str(src)
        md = c.get("metadata") if isinstance(c.get("metadata"), dict) else {}
        md = {k: v for k, v in md.items() if k == "nbgrader" and isinstance(v, dict)}
        kind = c.get("cell_type")
        new = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}.get(kind, nbformat.v4.new_raw_cell)
        nb.cells.append(new(src, metadata=md))
    return nb


def read_submission(path: Path) -> tuple[nbformat.NotebookNode | None, list[str]]:
    """Read a submitted notebook however damaged; None when nothing can be read."""
    notes: list[str] = []
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        return None, [f"the notebook file could not be read ({err})"]
    try:
        json.loads(text)
    except json.JSONDecodeError as err:
        return None, [f"the notebook is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}) — "
                      "it could not be opened, so it was graded as an empty copy of the lesson"]
    except RecursionError:
        return None, ["the notebook is nested too deeply to read — graded as an empty copy of the lesson"]
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
        return nb, notes
    except Exception as err:  # nbformat validation or conversion errors
        nb = _salvage(text)
        if nb is None:
            return None, [f"the notebook could not be read as a notebook ({type(err).__name__}) — "
                          "graded as an empty copy of the lesson"]
        return nb, [f"the notebook did not follow the notebook format ({type(err).__name__}); its cells were recovered"]


def _convert(cell, cell_type: str):
    """A copy of ``cell`` as ``cell_type``, keeping its source and metadata."""
    md = copy.deepcopy(dict(cell.get("metadata") or {}))
    src = _src(cell)
    if cell_type == "code":
        return nbformat.v4.new_code_cell(src, metadata=md)
    if cell_type == "markdown":
        return nbformat.v4.new_markdown_cell(src, metadata=md)
    return nbformat.v4.new_raw_cell(src, metadata=md)


def _restore_metadata(cell, rel_cell) -> None:
    cell.setdefault("metadata", nbformat.NotebookNode())
    cell["metadata"]["nbgrader"] = copy.deepcopy(rel_cell["metadata"]["nbgrader"])
    for key in ("editable", "deletable"):
        if key in rel_cell["metadata"]:
            cell["metadata"][key] = rel_cell["metadata"][key]
        else:
            cell["metadata"].pop(key, None)


def repair(sub: nbformat.NotebookNode, rel: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, list[str]]:
    """Make a submission gradable by nbgrader, matching its cells to the released lesson ``rel``.

    Returns the repaired notebook and notes for the instructor. Handles: graded cells whose
    nbgrader metadata was stripped (matched back by content and position), deleted graded cells
    (restored from the release: a deleted answer earns 0, a deleted test is run anyway), graded
    cells whose type was changed (changed back), duplicated grade ids (the copies become ordinary
    cells), and edited locked cells (reported here, restored by nbgrader).
    """
    notes: list[str] = []
    rel_graded = [(i, c) for i, c in enumerate(rel.cells) if _gid(c)]
    rel_by_id = {_gid(c): (i, c) for i, c in rel_graded}
    cells = list(sub.cells)

    # duplicated or unknown grade ids
    seen: set[str] = set()
    for c in cells:
        gid = _gid(c)
        if gid is None:
            if "nbgrader" in (c.get("metadata") or {}):
                c["metadata"].pop("nbgrader")
            continue
        if gid not in rel_by_id:
            c["metadata"].pop("nbgrader")
            notes.append(f"a cell carried an unknown grade id {gid!r}; it is graded as an ordinary cell")
        elif gid in seen:
            c["metadata"].pop("nbgrader")
            notes.append(f"cell {gid} appears twice; the second copy is graded as an ordinary cell")
        else:
            seen.add(gid)

    # anchors: submission index -> release index, for cells we can place with certainty
    match: dict[int, int] = {}      # release index -> submission index
    for j, c in enumerate(cells):
        if _gid(c):
            match[rel_by_id[_gid(c)][0]] = j
    free = [j for j, c in enumerate(cells) if _gid(c) is None]
    # ordinary cells and locked cells whose source is untouched anchor by content, in order
    rel_plain = [i for i, c in enumerate(rel.cells) if i not in match]
    a = [(rel.cells[i].cell_type, _src(rel.cells[i]).strip()) for i in rel_plain]
    b = [(cells[j].cell_type, _src(cells[j]).strip()) for j in free]
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for block in sm.get_matching_blocks():
        for k in range(block.size):
            i, j = rel_plain[block.a + k], free[block.b + k]
            if _gid(rel.cells[i]) and not _nbg(rel.cells[i]).get("locked", False) and _nbg(rel.cells[i]).get("solution"):
                # an untouched answer stub: still a good anchor
                pass
            match[i] = j
    stripped = []
    for i, j in match.items():
        if _gid(rel.cells[i]) and _gid(cells[j]) is None:
            _restore_metadata(cells[j], rel.cells[i])
            stripped.append(_gid(rel.cells[i]))

    # graded cells still unplaced: look between the neighbouring anchors
    used = set(match.values())
    for i, rc in rel_graded:
        if i in match:
            continue
        lo = max((match[k] for k in match if k < i), default=-1)
        hi = min((match[k] for k in match if k > i), default=len(cells))
        window = [j for j in range(lo + 1, hi) if j not in used and _gid(cells[j]) is None]
        best, best_score = None, 0.0
        locked = bool(_nbg(rc).get("locked"))
        for j in window:
            ratio = difflib.SequenceMatcher(None, _src(rc), _src(cells[j]), autojunk=False).ratio()
            same_type = cells[j].cell_type == rc.cell_type
            score = ratio + (0.5 if same_type else 0.0)
            if locked and ratio < 0.6:
                continue
            if score > best_score:
                best, best_score = j, score
        if best is not None and (locked or best_score >= 0.5 or len(window) == 1):
            match[i] = best
            used.add(best)
            _restore_metadata(cells[best], rc)
            stripped.append(_gid(rc))
    if stripped:
        notes.append("nbgrader metadata was missing on cell(s) " + ", ".join(sorted(set(stripped)))
                     + "; matched back to the lesson by content and position")

    # cell types
    for i, j in match.items():
        rc = rel.cells[i]
        if _gid(rc) and cells[j].cell_type != rc.cell_type:
            notes.append(f"cell {_gid(rc)} was changed from {rc.cell_type} to {cells[j].cell_type}; changed back")
            new = _convert(cells[j], rc.cell_type)
            _restore_metadata(new, rc)
            cells[j] = new
    # edited locked cells (nbgrader restores their source)
    for i, j in match.items():
        rc = rel.cells[i]
        if _gid(rc) and _nbg(rc).get("locked") and _src(cells[j]).strip() != _src(rc).strip():
            notes.append(f"locked cell {_gid(rc)} was edited; the original was restored for grading")

    # missing graded cells: insert the release version after the previous placed cell
    missing = [(i, rc) for i, rc in rel_graded if i not in match]
    if missing:
        order = sorted(match.items(), key=lambda kv: kv[0])
        inserts: dict[int, list] = {}
        for i, rc in missing:
            prev = max((j for k, j in order if k < i), default=-1)
            inserts.setdefault(prev, []).append(copy.deepcopy(rc))
            what = "answer" if _nbg(rc).get("solution") else "test" if _nbg(rc).get("grade") else "locked"
            notes.append(f"{what} cell {_gid(rc)} was deleted; restored from the lesson"
                         + (" (an unanswered copy: 0 points)" if what == "answer" else ""))
        out = list(inserts.get(-1, []))
        for j, c in enumerate(cells):
            out.append(c)
            out.extend(inserts.get(j, []))
        cells = out
    sub.cells = cells
    if "kernelspec" not in sub.metadata and "kernelspec" in rel.metadata:
        sub.metadata["kernelspec"] = copy.deepcopy(rel.metadata["kernelspec"])
    return sub, notes


def prepare_submission(course: Course, assignment: str, student: str, release_nb) -> list[str]:
    """Repair ``submitted/<student>/<assignment>/*.ipynb`` in place (the original is kept in
    ``course/downloaded/<assignment>/originals/<student>/``); returns notes for the report."""
    folder = course.submitted(student, assignment)
    path = folder / f"{assignment}.ipynb"
    notes: list[str] = []
    others = [p for p in folder.glob("*.ipynb") if p != path]
    if not path.exists():
        if len(others) == 1:
            shutil.move(str(others[0]), path)
            notes.append(f"the notebook was named {others[0].name}; graded as {assignment}.ipynb")
        else:
            return [f"no {assignment}.ipynb in the submission"]
    raw = path.read_bytes()
    nb, read_notes = read_submission(path)
    notes += read_notes
    if nb is None:
        nb = copy.deepcopy(release_nb)
    nb, repair_notes = repair(nb, release_nb)
    notes += repair_notes
    text = nbformat.writes(nb)
    if text.encode() != raw:
        keep = course.course_dir / "downloaded" / assignment / "originals" / student
        keep.mkdir(parents=True, exist_ok=True)
        original = keep / f"{assignment}.ipynb"
        if not original.exists():   # the first original is the one the student sent
            original.write_bytes(raw)
        path.write_text(text, encoding="utf-8")
    return notes


# --------------------------------------------------------------------------- the grading kernel

GUARD_SOURCE = r'''
def __mmteach_guard():
    """Installed by the mmteach grader: refuse file access outside this submission's folder."""
    import json as _json, os as _os, sys as _sys
    env = _os.environ
    own = _os.path.realpath(_os.getcwd())
    split = lambda v: [_os.path.realpath(p) for p in env.get(v, "").split(_os.pathsep) if p]
    deny = split("MMTEACH_GUARD_DENY")          # course, solutions, staging: nothing there
    repo = split("MMTEACH_GUARD_REPO")          # the repository: only the library may be read
    readable = split("MMTEACH_GUARD_READ")      # library, venv, caches inside the repository
    writable = split("MMTEACH_GUARD_WRITE")     # caches
    log_path = env.get("MMTEACH_GUARD_LOG", "")
    state = {"busy": False}

    def under(p, roots):
        return any(p == r or p.startswith(r.rstrip(_os.sep) + _os.sep) for r in roots)

    def verdict(p, write):
        if under(p, [own]):
            return True
        if under(p, deny):
            return False
        if under(p, repo) and not under(p, readable):
            return False
        if not write:
            return True
        if under(p, writable) or p.startswith("/dev/"):
            return True
        return "__pycache__" in p.split(_os.sep)

    def record(event, p, write):
        if not log_path:
            return
        state["busy"] = True
        try:
            fd = _os.open(log_path, _os.O_WRONLY | _os.O_APPEND | _os.O_CREAT, 0o600)
            try:
                _os.write(fd, (_json.dumps({"event": event, "path": p, "write": write}) + "\n").encode())
            finally:
                _os.close(fd)
        except OSError:
            pass
        finally:
            state["busy"] = False

    writes = {"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.truncate", "os.symlink",
              "os.link", "os.utime", "shutil.rmtree", "shutil.move", "os.chown"}
    lists = {"os.listdir", "os.scandir"}

    def hook(event, args):
        if state["busy"]:
            return
        if event == "open":
            path, mode = args[0], args[1]
            write = isinstance(mode, str) and any(ch in mode for ch in "wax+")
            if not write and len(args) > 2 and isinstance(args[2], int):
                write = bool(args[2] & (_os.O_WRONLY | _os.O_RDWR | _os.O_CREAT | _os.O_TRUNC | _os.O_APPEND))
            paths = [path]
        elif event in writes:
            write, paths = True, [a for a in args[:2]]
        elif event in lists:
            write, paths = False, [args[0] if args else "."]
        else:
            return
        for path in paths:
            if isinstance(path, int) or path is None:
                continue
            try:
                p = _os.path.realpath(_os.fsdecode(path))
            except (TypeError, ValueError):
                continue
            if event in lists:
                ok = not under(p, deny) or under(p, [own])
            else:
                ok = verdict(p, write)
            if not ok:
                record(event, p, write)
                raise PermissionError(f"the grader does not let a submission {'write' if write else 'read'} "
                                      f"{p}: only files in the submission's own folder are allowed")

    _sys.addaudithook(hook)


__mmteach_guard()
del __mmteach_guard
'''


try:
    from nbgrader.preprocessors import Execute as _Execute
    from traitlets import Float, Integer

    class GuardedExecute(_Execute):
        """nbgrader's Execute, hardened for hostile submissions.

        * A loop that swallows the timeout interrupt (``except KeyboardInterrupt``) would keep the
          kernel busy and make every later cell time out in turn; when a cell does not stop within
          ``interrupt_grace`` seconds of the interrupt, the kernel is restarted instead.
        * Each cell's output is capped at ``max_output_chars`` while it runs, so a print loop
          cannot fill the grader's memory or the feedback file.
        """

        max_output_chars = Integer(MAX_OUTPUT_CHARS).tag(config=True)
        max_rich_output_chars = Integer(MAX_RICH_OUTPUT_CHARS).tag(config=True)
        interrupt_grace = Float(INTERRUPT_GRACE_S).tag(config=True)

        def preprocess(self, nb, resources=None, km=None):
            self._mm_sizes: dict[int, int] = {}
            self._mm_cut: set[int] = set()
            return super().preprocess(nb, resources, km)

        async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive):
            self._mm_msg_id = msg_id
            return await super()._async_poll_for_reply(msg_id, cell, timeout, task_poll_output_msg,
                                                       task_poll_kernel_alive)

        async def _async_handle_timeout(self, timeout, cell=None):
            _dbg("timeout: interrupting")
            reply = await super()._async_handle_timeout(timeout, cell)
            msg_id = getattr(self, "_mm_msg_id", None)
            _dbg(f"interrupted; waiting for reply to {msg_id}")
            deadline = time.monotonic() + self.interrupt_grace
            while msg_id is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    msg = await _ensure_async(self.kc.shell_channel.get_msg(timeout=left))
                except (Empty, asyncio.TimeoutError):
                    break
                _dbg(f"shell msg {msg.get('msg_type')} parent {msg.get('parent_header', {}).get('msg_id')}")
                if msg.get("parent_header", {}).get("msg_id") == msg_id:
                    return _timeout_reply(timeout, restarted=False)
            self.log.error("The cell kept running after the interrupt; restarting the kernel")
            _dbg("restarting")
            await _ensure_async(self.km.restart_kernel(now=True))
            _dbg("restarted; waiting for ready")
            await self._mm_wait_for_kernel()
            _dbg("ready")
            return _timeout_reply(timeout, restarted=True)

        async def _mm_wait_for_kernel(self):
            """Wait for the restarted kernel to answer on the shell channel.

            (``kc.wait_for_ready`` also reads the IOPub channel, which nbclient's output task is
            reading at the same moment; the two readers can starve each other.)
            """
            deadline = time.monotonic() + (self.startup_timeout or 60)
            while time.monotonic() < deadline:
                msg_id = self.kc.kernel_info()
                end = time.monotonic() + 1.0
                while time.monotonic() < end:
                    try:
                        msg = await _ensure_async(self.kc.shell_channel.get_msg(timeout=max(0.05, end - time.monotonic())))
                    except (Empty, asyncio.TimeoutError):
                        break
                    if msg.get("parent_header", {}).get("msg_id") == msg_id:
                        await asyncio.sleep(0.5)   # let IOPub reconnect before the next cell
                        return
            raise RuntimeError(f"the kernel did not come back within {self.startup_timeout} s of a restart")

        def output(self, outs, msg, display_id, cell_index):
            text, rich = self._mm_sizes.get(cell_index, (0, 0))
            content = msg.get("content", {})
            add_text = len(str(content.get("text", "")))
            add_rich = 0
            for mime, value in (content.get("data") or {}).items():
                n = len(value) if isinstance(value, str) else len(json.dumps(value))
                if mime == "text/plain":
                    add_text += n
                else:
                    add_rich += n
            add_text += sum(len(str(x)) for x in content.get("traceback", []) or [])
            over_text = text + add_text > self.max_output_chars
            over_rich = rich + add_rich > self.max_rich_output_chars
            self._mm_sizes[cell_index] = (text + add_text, rich + add_rich)
            if over_text and msg.get("msg_type") == "stream" and text < self.max_output_chars:
                content = dict(content)
                content["text"] = str(content.get("text", ""))[: self.max_output_chars - text]
                msg = dict(msg, content=content)
                out = super().output(outs, msg, display_id, cell_index)
                self._mm_note(outs, cell_index)
                return out
            if over_text or over_rich:
                self._mm_note(outs, cell_index)
                return None
            return super().output(outs, msg, display_id, cell_index)

        def _mm_note(self, outs, cell_index):
            if cell_index not in self._mm_cut:
                self._mm_cut.add(cell_index)
                outs.append(nbformat.v4.new_output(
                    "stream", name="stderr",
                    text=f"\n[output cut by the grader: more than {self.max_output_chars:,} characters of text "
                         f"or {self.max_rich_output_chars // 1_000_000} MB of figures in one cell]\n"))

except ImportError:  # pragma: no cover - nbgrader is a dependency
    GuardedExecute = None


def _dbg(msg):
    if os.environ.get("MMTEACH_GRADE_DEBUG"):
        print(f"[grade-debug {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _timeout_reply(timeout, restarted: bool) -> dict:
    if restarted:
        text = (f"this cell was still running after {timeout} s and ignored the interrupt, so the grader "
                "restarted the Python kernel; the cells after it ran in a fresh kernel")
    else:
        text = f"this cell was still running after {timeout} s (the time limit per cell) and was stopped"
    return {"content": {"status": "error", "ename": "CellTimeoutError", "evalue": text,
                        "traceback": [f"CellTimeoutError: {text}"]}}


async def _ensure_async(obj):
    if asyncio.iscoroutine(obj) or isinstance(obj, asyncio.Future):
        return await obj
    return obj


# Feedback scrubbing lives in mmteach.grading (hidden tests removed, time-outs reported as such).
scrub_feedback_cell = grading.scrub_cell


def _first_line(text) -> str:
    text = grading._ANSI.sub("", str(text or "")).strip()
    return text.split("\n")[0][:240]


# --------------------------------------------------------------------------- autograde

@dataclass
class CellResult:
    grade_id: str
    points: float
    max_points: float
    kind: str               # "test" or "answer"
    problem: str = ""       # why points were lost (for the instructor)


@dataclass
class StudentResult:
    student: str
    assignment: str
    ok: bool = True
    score: float = 0.0
    max_score: float = 0.0
    auto_score: float = 0.0
    max_auto: float = 0.0
    needs_manual: bool = False
    seconds: float = 0.0
    cells: list[CellResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        flag = "" if self.ok else "  GRADING FAILED"
        manual = "  (manual grading pending)" if self.needs_manual else ""
        return (f"{self.student:<24} {self.auto_score:6.1f} / {self.max_auto:<5.1f} auto  "
                f"{self.seconds:6.1f} s{flag}{manual}")


@dataclass
class ClassReport:
    assignment: str
    students: list[StudentResult] = field(default_factory=list)
    seconds: float = 0.0

    def text(self) -> str:
        out = [f"# Autograde report: {self.assignment}", "",
               f"{len(self.students)} submission(s) graded in {self.seconds:.1f} s", ""]
        for s in self.students:
            out.append("## " + s.line().rstrip())
            lost = [c for c in s.cells if c.kind == "test" and c.points < c.max_points]
            for c in lost:
                out.append(f"- {c.grade_id}: {c.points:g}/{c.max_points:g} — {c.problem or 'failed'}")
            for p in s.problems:
                out.append(f"- {p}")
            if not lost and not s.problems:
                out.append("- all checks passed" if s.auto_score == s.max_auto else "- no problems found")
            out.append("")
        return "\n".join(out)


def _students_with_submissions(course: Course, assignment: str) -> list[str]:
    base = course.submitted()
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir())


def _hidden_ranges_by_id(course: Course, assignment: str) -> dict[str, str]:
    src = nbformat.read(course.source_notebook_path(assignment), as_version=4)
    return {_gid(c): _src(c) for c in src.cells if _gid(c)}


def _explain_error(cell, source_with_hidden: str | None) -> str:
    errs = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errs:
        return ""
    o = errs[-1]
    ename, evalue = o.get("ename", "Error"), _first_line(o.get("evalue"))
    if ename == "CellTimeoutError":
        return f"timed out: {evalue}"
    if source_with_hidden:
        rng = grading.hidden_line_range(source_with_hidden)
        lines = grading.error_lines_in_cell(o, cell.get("execution_count"))
        if rng and lines and any(rng[0] <= n <= rng[1] for n in lines):
            return f"hidden check failed: {ename}: {evalue}"
    return f"{ename}: {evalue}" if evalue else ename


_LOG_NOISE = (re.compile(r"Attribute 'checksum' for cell"), re.compile(r"SAWarning"),
              re.compile(r"Kernel is running over TCP"), re.compile(r"not in session"))


def _interesting_log_lines(log: str) -> list[str]:
    keep = []
    for line in (log or "").splitlines():
        if not re.search(r"\[(?:[A-Za-z]+\])?\s*(?:WARNING|ERROR|CRITICAL)", line) and " ERROR " not in line:
            continue
        if any(rx.search(line) for rx in _LOG_NOISE):
            continue
        keep.append(re.sub(r"^\[[^\]]*\]\s*", "", line).strip())
    return keep


def _guard_env(course: Course, stage_root: Path, log_path: Path, private_tmp: Path) -> dict:
    """Environment for a grading kernel: what the guard refuses, and a private TMPDIR.

    A submission may read anything outside the course, write only in its own folder, its TMPDIR
    and the caches libraries use; nothing in course/, solutions/ or other students' folders.
    """
    from . import core

    pkg = Path(__file__).resolve().parent
    repo_read = [pkg, course.root / ".venv", course.root / ".cache", Path(sys.prefix)]
    home = Path.home()
    writable = [private_tmp, core.cache_dir(), home / ".cache", home / ".config" / "matplotlib",
                home / ".ipython", home / ".local" / "share" / "jupyter"]
    for var in ("MPLCONFIGDIR", "IPYTHONDIR", "NUMBA_CACHE_DIR", "JUPYTER_RUNTIME_DIR"):
        if os.environ.get(var):
            writable.append(Path(os.environ[var]))
    deny = [course.course_dir, course.source_dir, course.root / "solutions", stage_root, course.root / ".git",
            course.root / "workspace"]
    join = lambda ps: os.pathsep.join(str(Path(p).resolve()) for p in ps)
    return {"TMPDIR": str(private_tmp), "TEMP": str(private_tmp), "TMP": str(private_tmp),
            "MMTEACH_GUARD_DENY": join(deny), "MMTEACH_GUARD_REPO": join([course.root]),
            "MMTEACH_GUARD_READ": join(repo_read), "MMTEACH_GUARD_WRITE": join(writable),
            "MMTEACH_GUARD_LOG": str(log_path)}


class _env:
    def __init__(self, values: dict):
        self.values, self.saved = values, {}

    def __enter__(self):
        for k, v in self.values.items():
            self.saved[k] = os.environ.get(k)
            os.environ[k] = v

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _read_results(course: Course, assignment: str, student: str, result: StudentResult,
                  sources: dict[str, str]) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.db_url, grading.COURSE_ID) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            result.ok = False
            return
        result.score, result.max_score = float(sub.score or 0), float(sub.max_score or 0)
        result.auto_score = float(sub.code_score or 0)
        result.max_auto = float(sub.max_code_score or 0)
        result.needs_manual = bool(sub.needs_manual_grade)
        grades = {}
        for nb in sub.notebooks:
            for g in nb.grades:
                grades[g.name] = (float(g.score or 0), float(g.max_score or 0), g.cell_type)
    nb_path = course.autograded(student, assignment) / f"{assignment}.ipynb"
    cells_by_id = {}
    if nb_path.exists():
        try:
            for c in nbformat.read(nb_path, as_version=4).cells:
                if _gid(c):
                    cells_by_id[_gid(c)] = c
        except Exception:  # noqa: BLE001 - a report must not fail on one odd file
            pass
    for gid, (score, mx, ctype) in grades.items():
        kind = "test" if ctype == "code" else "answer"
        problem = ""
        if kind == "test" and score < mx and gid in cells_by_id:
            problem = _explain_error(cells_by_id[gid], sources.get(gid))
        result.cells.append(CellResult(gid, score, mx, kind, problem))


def autograde(course: Course, assignment: str, students: list[str] | None = None, log=_log,
              write_report: bool = True) -> ClassReport:
    """Grade every (or the named) submission of ``assignment``; never stops at a bad one."""
    ensure_assignment(course, assignment, log=log)
    release_nb = nbformat.read(course.release_notebook_path(assignment), as_version=4)
    sources = _hidden_ranges_by_id(course, assignment)
    todo = students or _students_with_submissions(course, assignment)
    report = ClassReport(assignment)
    t_class = time.perf_counter()
    stage_root = Path(tempfile.mkdtemp(prefix="mmteach-grade-"))
    guard_dir = Path(tempfile.mkdtemp(prefix="mmteach-guard-"))   # readable by the kernel, unlike stage_root
    guard_file = guard_dir / "guard.py"
    guard_file.write_text(GUARD_SOURCE)
    try:
        for student in todo:
            t0 = time.perf_counter()
            res = StudentResult(student, assignment)
            try:
                res.problems += prepare_submission(course, assignment, student, release_nb)
            except Exception as err:  # noqa: BLE001 - one broken file must not stop the class
                res.problems.append(f"the submission could not be prepared for grading: {type(err).__name__}: {err}")
            stage = stage_root / "s" / student / "autograded"
            stage.mkdir(parents=True)
            access_log = stage_root / "s" / student / GUARD_LOG_NAME
            api = course.api(autograded_dir=stage,
                             execute_args=[f"--IPKernelApp.exec_files=['{guard_file}']"])
            private_tmp = guard_dir / f"tmp-{student}"
            private_tmp.mkdir()
            with _env(_guard_env(course, stage_root, access_log, private_tmp)):
                outcome = api.autograde(assignment, student, force=True, create=True)
            produced = stage / student / assignment
            dest = course.autograded(student, assignment)
            if produced.is_dir():
                if dest.exists():
                    shutil.rmtree(dest)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(produced), dest)
            if not outcome.get("success"):
                res.ok = False
                err = _first_line((outcome.get("error") or "").strip().splitlines()[-1:] or [""])
                res.problems.append(f"nbgrader could not grade this submission ({err or 'see the log'}); "
                                    "it is recorded with 0 points — grade it by hand")
                _record_zero(course, assignment, student)
            if access_log.exists():
                seen = set()
                for line in access_log.read_text().splitlines():
                    try:
                        ev = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    key = (ev.get("path"), ev.get("write"))
                    if key not in seen:
                        seen.add(key)
                        res.problems.append(f"tried to {'write' if ev.get('write') else 'read'} {ev.get('path')} "
                                            "outside its folder (refused)")
            for line in _interesting_log_lines(outcome.get("log", "")):
                if "restarting the kernel" in line:
                    res.problems.append("a cell ignored the time-out interrupt; the kernel was restarted")
            _read_results(course, assignment, student, res, sources)
            if res.ok and any("cut by the grader" in json.dumps(o) for o in _outputs(course, assignment, student)):
                res.problems.append("a cell's output was too long (more than "
                                    f"{MAX_OUTPUT_CHARS:,} characters of text); the output was cut")
            res.seconds = time.perf_counter() - t0
            report.students.append(res)
            log(res.line())
    finally:
        shutil.rmtree(stage_root, ignore_errors=True)
        shutil.rmtree(guard_dir, ignore_errors=True)
    report.seconds = time.perf_counter() - t_class
    if write_report:
        course.reports_dir.mkdir(parents=True, exist_ok=True)
        (course.reports_dir / f"{assignment}-autograde.md").write_text(report.text() + "\n")
        log(f"report: {course.reports_dir / (assignment + '-autograde.md')}")
    return report


def _outputs(course: Course, assignment: str, student: str):
    path = course.autograded(student, assignment) / f"{assignment}.ipynb"
    if not path.exists():
        return []
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001
        return []
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _record_zero(course: Course, assignment: str, student: str) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, grading.COURSE_ID) as gb:
        gb.update_or_create_student(student)
        gb.update_or_create_submission(assignment, student)


# --------------------------------------------------------------------------- feedback

def hidden_test_fragments(source_nb, release_nb=None) -> list[str]:
    """Text from hidden-test blocks that must never appear in feedback: code lines and string literals.

    Pieces that also appear in the released lesson (``release_nb``) are visible anyway and left out.
    """
    frags: set[str] = set()
    for c in source_nb.cells:
        if c.cell_type != "code" or grading.HIDDEN_BEGIN not in _src(c):
            continue
        src = _src(c)
        rng = grading.hidden_line_range(src)
        lines = src.split("\n")[rng[0]: rng[1] - 1]
        block = "\n".join(lines)
        for line in lines:
            s = line.strip()
            if len(s) >= 24 and not s.startswith("#"):   # long enough not to be a learner's own line
                frags.add(s)
        try:
            for tok in tokenize.generate_tokens(io.StringIO(block).readline):
                if tok.type == tokenize.STRING:
                    try:
                        val = str(eval(tok.string, {"__builtins__": {}}))  # a literal, nothing else
                    except Exception:  # noqa: BLE001 - f-strings and the like: use the raw text
                        val = tok.string.strip("'\"fbr")
                    for piece in re.split(r"\{[^}]*\}", val):
                        if len(piece.strip()) >= 12:
                            frags.add(piece.strip())
        except (tokenize.TokenError, IndentationError, SyntaxError):
            pass
    if release_nb is not None:
        visible = "\n".join(_src(c) for c in release_nb.cells)
        frags = {f for f in frags if f not in visible}
    return sorted(frags)


def leaked_fragments(text: str, fragments: list[str]) -> list[str]:
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    return [f for f in fragments if f in plain or f in text or html.escape(f) in text]


@dataclass
class FeedbackReport:
    written: list[Path] = field(default_factory=list)
    withheld: list[tuple[Path, list[str]]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def feedback(course: Course, assignment: str, students: list[str] | None = None, log=_log) -> FeedbackReport:
    """Write HTML feedback for each autograded student; withhold any file that shows hidden tests."""
    api = course.api()
    fragments = hidden_test_fragments(nbformat.read(course.source_notebook_path(assignment), as_version=4),
                                      nbformat.read(course.release_notebook_path(assignment), as_version=4))
    rep = FeedbackReport()
    base = course.autograded()
    todo = students or sorted(p.name for p in base.iterdir() if (p / assignment).is_dir()) if base.is_dir() else []
    for student in todo:
        result = api.generate_feedback(assignment, student, force=True)
        if not result.get("success"):
            rep.failed.append(student)
            log(f"✗ feedback for {student} failed: {_first_line(result.get('error'))}")
            continue
        for f in sorted(course.feedback_dir(student, assignment).glob("*.html")):
            leaks = leaked_fragments(f.read_text(encoding="utf-8", errors="replace"), fragments)
            if leaks:
                withheld = f.with_suffix(".html.withheld")
                f.replace(withheld)
                rep.withheld.append((withheld, leaks))
                log(f"✗ {f} showed hidden-test text ({leaks[0][:60]!r}...); withheld — do not send it")
            else:
                rep.written.append(f)
    log(f"feedback {assignment}: {len(rep.written)} file(s) under {course.feedback_dir()}"
        + (f", {len(rep.withheld)} withheld" if rep.withheld else ""))
    return rep


# --------------------------------------------------------------------------- export

EXPORT_FIELDS = ["student_id", "first_name", "last_name", "email", "assignment", "submitted", "timestamp",
                 "score", "max_score", "auto_score", "max_auto_score", "manual_score", "late_penalty",
                 "needs_manual_grade"]


def export(course: Course, out: Path | None = None, log=_log) -> Path:
    """Write one CSV row per student and assignment (0 for a missing submission)."""
    from nbgrader.api import Gradebook, MissingEntry

    out = Path(out) if out else course.course_dir / "grades.csv"
    rows = []
    with Gradebook(course.db_url, grading.COURSE_ID) as gb:
        assignments = sorted(gb.assignments, key=lambda a: a.name)
        for student in sorted(gb.students, key=lambda s: s.id):
            for a in assignments:
                row = {"student_id": student.id, "first_name": student.first_name or "",
                       "last_name": student.last_name or "", "email": student.email or "",
                       "assignment": a.name, "submitted": False, "timestamp": "", "score": 0.0,
                       "max_score": float(a.max_score or 0), "auto_score": 0.0,
                       "max_auto_score": float(a.max_code_score or 0), "manual_score": 0.0,
                       "late_penalty": 0.0, "needs_manual_grade": False}
                try:
                    sub = gb.find_submission(a.name, student.id)
                except MissingEntry:
                    rows.append(row)
                    continue
                auto = float(sub.code_score or 0)
                row.update(submitted=True, timestamp=sub.timestamp.isoformat() if sub.timestamp else "",
                           score=round(float(sub.score or 0), 3), auto_score=round(auto, 3),
                           manual_score=round(float(sub.written_score or 0), 3),
                           late_penalty=round(float(sub.late_submission_penalty or 0), 3),
                           needs_manual_grade=bool(sub.needs_manual_grade))
                rows.append(row)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=EXPORT_FIELDS)
        w.writeheader()
        w.writerows(rows)
    log(f"wrote {len(rows)} row(s) to {out}")
    return out


# --------------------------------------------------------------------------- formgrader

def formgrader_command(course: Course, port: int = 8890, open_browser: bool = False) -> list[str]:
    """``jupyter lab`` on ``course/`` (where nbgrader finds its config), opening the formgrader."""
    state = course.root / ".jupyter-state" / "instructor"   # apart from the learner's JupyterLab state
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={course.course_dir}",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.default_url=/formgrader",
           f"--LabApp.workspaces_dir={state / 'workspaces'}", f"--LabApp.user_settings_dir={state / 'user-settings'}"]
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def instructor_env(course: Course) -> dict:
    """The JupyterLab environment for the formgrader: private state, nbgrader's instructor panels on."""
    from . import workspace

    state = course.root / ".jupyter-state" / "instructor"
    try:
        return workspace.jupyter_env(state, learner=False)
    except TypeError:  # an older workspace module without learner settings
        return workspace.jupyter_env(state)


def formgrader(course: Course, port: int = 8890, open_browser: bool = False) -> int:
    import subprocess

    env = instructor_env(course)
    if course.solutions is not None:
        env[SOLUTIONS_ENV] = str(course.solutions)
    print(f"Formgrader: open the http://127.0.0.1:{port}/formgrader?token=... address JupyterLab prints below "
          "(Ctrl-C stops it). Grade written answers under 'Manual Grading'; scores go into course/gradebook.db.",
          flush=True)
    try:
        return subprocess.call(formgrader_command(course, port, open_browser), cwd=course.course_dir, env=env)
    except KeyboardInterrupt:
        return 0
