"""The course's files: lesson sources, solution notebooks, released lessons.

Lessons are written as percent-format Python files in ``course/src/NN_name.py`` — plain text that
diffs and reviews well — and built into nbgrader *source* notebooks in
``solutions/NN_name/NN_name.ipynb``. nbgrader then releases them into ``lessons/`` (student
versions). Tests check all three agree.

Cell markers in a source file (one per cell)::

    # %% [markdown]              explanation (every line starts with "# ")
    # %%                         ordinary code the learner may edit and re-run
    # %% [locked] setup          code the learner cannot edit (imports the grader needs)
    # %% [solution] softmax      an answer cell: the code between ### BEGIN/END SOLUTION is
                                 replaced by a stub in the released lesson
    # %% [test] softmax_check 2  an autograded check worth 2 points; a ### BEGIN/END HIDDEN TESTS
                                 block is removed from the released lesson
    # %% [answer] why_max 3      a written answer (markdown) graded by hand, worth 3 points
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

_HEADER = re.compile(r"^# %%(?:\s*\[(?P<kind>[a-z]+)\])?(?:\s+(?P<id>[A-Za-z0-9_\-]+))?(?:\s+(?P<points>\d+(?:\.\d+)?))?\s*$")
KINDS = {"markdown", "code", "locked", "solution", "test", "answer"}


def repo_root(start: Path | None = None) -> Path:
    """The course repository: the nearest folder above ``start`` (or the package) holding
    ``solutions/`` and ``course/``."""
    candidates = [Path(start or Path.cwd()).resolve(), Path(__file__).resolve().parent]
    for base in candidates:
        for folder in (base, *base.parents):
            if (folder / "course").is_dir() and (folder / "solutions").is_dir() and (folder / "mmteach").is_dir():
                return folder
    raise FileNotFoundError(
        "could not find the mmteach course repository (a folder with course/, solutions/ and mmteach/); "
        "run this from inside your clone of the course"
    )


def _nbgrader(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    md = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        md["points"] = points
    return {"nbgrader": md}


def _markdown_text(lines: list[str], where: str) -> str:
    out = []
    for i, line in enumerate(lines):
        if line == "#":
            out.append("")
        elif line.startswith("# "):
            out.append(line[2:])
        elif line.strip() == "":
            out.append("")
        else:
            raise ValueError(f"{where}: markdown line {i + 1} should start with '# ': {line!r}")
    return "\n".join(out).strip("\n")


def parse_source(text: str, where: str = "<source>") -> nbformat.NotebookNode:
    """Turn a percent-format lesson source into an nbgrader source notebook."""
    cells_raw: list[tuple[dict, list[str], int]] = []
    header = None
    body: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.startswith("# %%"):
            m = _HEADER.match(line)
            if not m:
                raise ValueError(f"{where}:{lineno}: cannot read cell marker {line!r} (see mmteach.course for the forms)")
            if header is not None:
                cells_raw.append((header, body, header["line"]))
            header = {"kind": m.group("kind") or "code", "id": m.group("id"), "points": m.group("points"), "line": lineno}
            body = []
        elif header is None:
            if line.strip():
                raise ValueError(f"{where}:{lineno}: text before the first '# %%' cell marker")
        else:
            body.append(line)
    if header is not None:
        cells_raw.append((header, body, header["line"]))

    nb = new_notebook()
    seen: set[str] = set()
    for head, lines, lineno in cells_raw:
        kind, gid, points = head["kind"], head["id"], head["points"]
        at = f"{where}:{lineno}"
        if kind not in KINDS:
            raise ValueError(f"{at}: unknown cell kind [{kind}]; expected one of {sorted(KINDS)}")
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        needs_id = kind in {"locked", "solution", "test", "answer"}
        if needs_id and not gid:
            raise ValueError(f"{at}: a [{kind}] cell needs an id, e.g. '# %% [{kind}] my_id'")
        if gid and gid in seen:
            raise ValueError(f"{at}: grade id {gid!r} is used twice")
        if gid:
            seen.add(gid)
        if kind in {"test", "answer"} and points is None:
            raise ValueError(f"{at}: a [{kind}] cell needs points, e.g. '# %% [{kind}] {gid} 2'")
        if kind not in {"test", "answer"} and points is not None:
            raise ValueError(f"{at}: only [test] and [answer] cells carry points")
        pts = None if points is None else (int(float(points)) if float(points).is_integer() else float(points))
        src = "\n".join(lines)
        if kind == "markdown":
            nb.cells.append(new_markdown_cell(_markdown_text(lines, at)))
        elif kind == "answer":
            md = _markdown_text(lines, at)
            if "### BEGIN SOLUTION" not in md:
                raise ValueError(f"{at}: an [answer] cell needs a model answer between ### BEGIN SOLUTION / ### END SOLUTION")
            nb.cells.append(new_markdown_cell(md, metadata=_nbgrader(gid, grade=True, solution=True, points=pts)))
        elif kind == "code":
            nb.cells.append(new_code_cell(src))
        elif kind == "locked":
            nb.cells.append(new_code_cell(src, metadata=_nbgrader(gid, locked=True)))
        elif kind == "solution":
            if "### BEGIN SOLUTION" not in src or "### END SOLUTION" not in src:
                raise ValueError(f"{at}: a [solution] cell needs ### BEGIN SOLUTION and ### END SOLUTION")
            nb.cells.append(new_code_cell(src, metadata=_nbgrader(gid, solution=True)))
        elif kind == "test":
            if ("BEGIN HIDDEN TESTS" in src) != ("END HIDDEN TESTS" in src):
                raise ValueError(f"{at}: unbalanced ### BEGIN/END HIDDEN TESTS")
            nb.cells.append(new_code_cell(src, metadata=_nbgrader(gid, grade=True, locked=True, points=pts)))
    for i, cell in enumerate(nb.cells):   # stable ids keep rebuilds byte-identical
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell["id"] = gid or f"cell-{i:03d}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def lesson_names(root: Path | None = None) -> list[str]:
    """Names of the lessons, e.g. ``["01_supervised_learning", ...]``, from ``course/src``."""
    root = root or repo_root()
    return sorted(p.stem for p in (root / "course" / "src").glob("[0-9][0-9]_*.py"))


def solution_path(name: str, root: Path | None = None) -> Path:
    root = root or repo_root()
    return root / "solutions" / name / f"{name}.ipynb"


def lesson_path(name: str, root: Path | None = None) -> Path:
    root = root or repo_root()
    return root / "lessons" / name / f"{name}.ipynb"


def render_solution(name: str, root: Path | None = None) -> str:
    """The solution notebook text that ``course/src/<name>.py`` builds into."""
    root = root or repo_root()
    src = root / "course" / "src" / f"{name}.py"
    nb = parse_source(src.read_text(encoding="utf-8"), where=str(src.relative_to(root)))
    return nbformat.writes(nb) + "\n"


def build_solutions(root: Path | None = None, names: list[str] | None = None) -> list[Path]:
    """Write ``solutions/NN/NN.ipynb`` for each lesson source; returns the files written."""
    root = root or repo_root()
    written = []
    for name in names or lesson_names(root):
        out = solution_path(name, root)
        out.parent.mkdir(parents=True, exist_ok=True)
        text = render_solution(name, root)
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            out.write_text(text, encoding="utf-8")
            written.append(out)
    return written


# --------------------------------------------------------------------------- syllabus

PLANNED = {
    "01_supervised_learning": "Supervised learning",
    "02_audio_representations": "Audio representations",
    "03_convolution_and_pooling": "Convolution and pooling",
    "04_musically_motivated_cnns": "Musically motivated CNNs",
    "05_temporal_filters": "Temporal filters (O-net and P-net)",
    "06_recurrent_networks": "Recurrent networks",
    "07_crnn_tagging": "CRNN music tagging",
    "08_musicnn_reconstruction": "MusiCNN reconstruction",
    "09_digging_into_musicnn": "Digging into MusiCNN",
    "10_seeing_and_hearing_cnns": "Seeing and hearing CNNs",
    "11_project": "Project (capstone)",
}
SYLLABUS_BEGIN = "<!-- BEGIN GENERATED TABLE (mmteach syllabus) -->"
SYLLABUS_END = "<!-- END GENERATED TABLE -->"


def lesson_summary(name: str, root: Path | None = None) -> dict:
    """Title and points of a built lesson, read from its solution notebook."""
    nb = nbformat.read(solution_path(name, root), as_version=4)
    title = next((c.source.splitlines()[0].lstrip("# ").strip() for c in nb.cells if c.cell_type == "markdown"), name)
    if title.startswith("Lesson") and "—" in title:
        title = title.split("—", 1)[1].strip()
    auto = manual = 0.0
    n_checks = n_written = 0
    for c in nb.cells:
        md = c.metadata.get("nbgrader", {})
        if md.get("grade"):
            if c.cell_type == "code":
                auto += md.get("points", 0)
                n_checks += 1
            else:
                manual += md.get("points", 0)
                n_written += 1
    return {"name": name, "title": title, "auto": auto, "manual": manual, "checks": n_checks, "written": n_written}


def syllabus_table(root: Path | None = None) -> str:
    """Markdown table of every lesson with its points; planned lessons not yet built are marked."""
    root = root or repo_root()
    built = set(lesson_names(root))
    rows = ["| # | lesson | autograded checks | written answers | automatic points | manual points | total |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    tot_a = tot_m = 0.0
    for name in sorted(set(PLANNED) | built):
        num = name[:2]
        if name in built:
            s = lesson_summary(name, root)
            tot_a += s["auto"]
            tot_m += s["manual"]
            rows.append(f"| {num} | [{s['title']}](../lessons/{name}/{name}.ipynb) | {s['checks']} | {s['written']} | "
                        f"{s['auto']:g} | {s['manual']:g} | {s['auto'] + s['manual']:g} |")
        else:
            rows.append(f"| {num} | {PLANNED[name]} *(in preparation)* | – | – | – | – | – |")
    rows.append(f"| | **all lessons** | | | **{tot_a:g}** | **{tot_m:g}** | **{tot_a + tot_m:g}** |")
    return "\n".join(rows)


def update_syllabus(root: Path | None = None) -> bool:
    """Rewrite the generated table in ``course/syllabus.md``; returns True when it changed."""
    root = root or repo_root()
    path = root / "course" / "syllabus.md"
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(SYLLABUS_BEGIN)
    _, tail = rest.split(SYLLABUS_END)
    new = f"{head}{SYLLABUS_BEGIN}\n{syllabus_table(root)}\n{SYLLABUS_END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False
