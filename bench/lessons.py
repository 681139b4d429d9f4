"""Run every solution notebook in normal mode and print wall time and peak kernel memory; then
autograde each (quick mode, as instructors grade) and print the autograde time per notebook.

    .venv/bin/python bench/lessons.py [LESSON ...] [--quick] [--no-autograde]

Targets on 2 CPU cores: each lesson ≤ 5 min and ≤ 3 GB; autograde ≤ 6 s per notebook where the
lesson trains nothing (lessons that train models spend their quick-mode training time on top).
"""
from __future__ import annotations

import argparse
import warnings
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mmteach import course, grading  # noqa: E402

warnings.filterwarnings("ignore", message="Object of type <Submitted")  # nbgrader + SQLAlchemy 2 noise


def _tree_rss(pid: int) -> int:
    try:
        proc = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
    except psutil.Error:
        return 0


def run_notebook(path: Path, quick: bool) -> tuple[float, float, int]:
    """Execute ``path``; returns (seconds, peak kernel RSS in GB, number of cells that raised)."""
    nb = nbformat.read(path, as_version=4)
    env_quick = os.environ.get("MMTEACH_QUICK")
    os.environ["MMTEACH_QUICK"] = "1" if quick else "0"
    os.environ.setdefault("MMTEACH_PROGRESS", "0")
    client = NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            km = getattr(client, "km", None)
            proc = getattr(getattr(km, "provisioner", None), "process", None) if km else None
            if proc is not None:
                peak[0] = max(peak[0], _tree_rss(proc.pid))
            stop.wait(0.2)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.perf_counter()
    try:
        client.execute()
    finally:
        stop.set()
        t.join()
        if env_quick is None:
            os.environ.pop("MMTEACH_QUICK", None)
        else:
            os.environ["MMTEACH_QUICK"] = env_quick
    seconds = time.perf_counter() - t0
    errors = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error")
    return seconds, peak[0] / 1e9, errors


def autograde_seconds(name: str) -> float:
    """Autograde the solution once in a throw-away course; returns the autograde call's seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copytree(ROOT / "solutions" / name, tmp / "solutions" / name)
        (tmp / "course").mkdir()
        api = grading.api(tmp / "course")
        api.generate_assignment(name, force=True)
        sub = tmp / "course" / "submitted" / "bench" / name
        sub.mkdir(parents=True)
        shutil.copy(ROOT / "solutions" / name / f"{name}.ipynb", sub / f"{name}.ipynb")
        t0 = time.perf_counter()
        res = api.autograde(name, "bench", force=True)
        dt = time.perf_counter() - t0
        if not res["success"]:
            print(f"  autograde of {name} failed", file=sys.stderr)
        return dt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("lessons", nargs="*")
    ap.add_argument("--quick", action="store_true", help="execute in quick mode instead of normal mode")
    ap.add_argument("--no-autograde", action="store_true")
    args = ap.parse_args()
    names = args.lessons or course.lesson_names(ROOT)
    mode = "quick" if args.quick else "normal"
    print(f"machine: {os.cpu_count()} cores, torch threads {__import__('torch').get_num_threads()}; mode: {mode}")
    print(f"{'lesson':32s} {'run (s)':>8s} {'peak GB':>8s} {'errors':>6s} {'autograde (s)':>14s}")
    worst = 0.0
    for name in names:
        secs, gb, errs = run_notebook(course.solution_path(name, ROOT), quick=args.quick)
        ag = float("nan") if args.no_autograde else autograde_seconds(name)
        worst = max(worst, secs)
        flag = "" if secs <= 300 and gb <= 3 else "  <-- over target (5 min, 3 GB)"
        print(f"{name:32s} {secs:8.1f} {gb:8.2f} {errs:6d} {ag:14.1f}{flag}", flush=True)
    print(f"slowest lesson: {worst:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
