"""Grading time: the generated adversarial class of a lesson through collect → autograde → feedback → export.

Prints the time per notebook (one line per submission kind), and for the whole class. Runs in a
private temporary copy of the course; nothing in the repository changes.

    .venv/bin/python bench/grading.py                         # lesson 01, 30 s per cell
    .venv/bin/python bench/grading.py 11_project --timeout 60
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("MMTEACH_QUICK", "1")
os.environ.setdefault("MMTEACH_PROGRESS", "0")

import nbformat  # noqa: E402

from mmteach import classroom, instructor  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lesson", nargs="?", default="01_supervised_learning")
    ap.add_argument("--timeout", type=int, default=30, help="seconds per cell (the course default is 180)")
    args = ap.parse_args()
    quiet = lambda m: None  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="mmteach-bench-grading-") as tmpname:
        tmp = Path(tmpname)
        t0 = time.perf_counter()
        c = classroom.build_course(REPO, tmp, args.lesson, args.timeout)
        t_release = time.perf_counter() - t0
        sol = nbformat.read(c.source_notebook_path(args.lesson), as_version=4)
        rel = nbformat.read(c.release_notebook_path(args.lesson), as_version=4)
        kinds = classroom.make_class(sol, rel, tmp / "download", args.lesson,
                                     outside_paths={"read": [c.source_notebook_path(args.lesson)],
                                                    "write": [c.course_dir / "gradebook.db"]})
        t0 = time.perf_counter()
        instructor.collect(c, args.lesson, tmp / "download", log=quiet)
        t_collect = time.perf_counter() - t0
        report = instructor.autograde(c, args.lesson, log=quiet, write_report=False)
        t0 = time.perf_counter()
        fb = instructor.feedback(c, args.lesson, log=quiet)
        t_feedback = time.perf_counter() - t0
        t0 = time.perf_counter()
        instructor.export(c, tmp / "grades.csv", log=quiet)
        t_export = time.perf_counter() - t0

    expected = {instructor.student_id(k.name): k for k in kinds}
    print(f"lesson {args.lesson}, {len(report.students)} submissions, {args.timeout} s per cell, "
          f"{os.cpu_count()} CPU core(s), quick mode")
    print(f"{'submission':<20} {'auto points':>12} {'expected':>9} {'seconds':>8}")
    for s in report.students:
        k = expected.get(s.student)
        exp = "-" if k is None or k.expected is None else f"{k.expected:g}"
        print(f"{s.student:<20} {s.auto_score:>6g} / {s.max_auto:<4g} {exp:>9} {s.seconds:>8.1f}")
    secs = [s.seconds for s in report.students]
    plain = [s.seconds for s in report.students if s.student not in ("infinite-loop", "stubborn-loop")]
    print(f"autograde, whole class: {report.seconds:.1f} s; per notebook: median {statistics.median(secs):.1f} s, "
          f"max {max(secs):.1f} s; median without the two endless loops {statistics.median(plain):.1f} s")
    print(f"release {t_release:.1f} s, collect {t_collect:.1f} s, feedback {t_feedback:.1f} s "
          f"({len(fb.written)} files, {len(fb.withheld)} withheld), export {t_export:.1f} s")
    wrong = [s.student for s in report.students
             if s.student in expected and expected[s.student].expected is not None
             and abs(s.auto_score - expected[s.student].expected) > 1e-6]
    if wrong:
        print("SCORES DIFFERENT FROM EXPECTED:", ", ".join(wrong))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
