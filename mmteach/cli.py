"""``mmteach`` command: the learner's and the course maintainer's entry points.

    mmteach lab        copy new lessons into workspace/ (never overwriting) and open JupyterLab
    mmteach sync       only the copying step
    mmteach build      rebuild solutions/ from the lesson sources in course/src
    mmteach release    build, then regenerate lessons/ from solutions/ with nbgrader, and
                       refresh the points table in course/syllabus.md
    mmteach grade ...  the instructor's grading cycle, from any folder:
        release NN [--zip DIR]          student version in lessons/NN (and a zip to upload)
        collect NN DOWNLOAD [--pattern RX]  file an LMS download under course/submitted/
        autograde NN [--student S]      grade every submission; report in course/reports/
        formgrader [--port P]           JupyterLab's formgrader for the written answers
        feedback NN                     HTML feedback without hidden tests, in course/feedback/
        export [--out FILE]             grades as CSV (course/grades.csv)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import course, workspace


def _release(root, names) -> int:
    from . import grading

    written = course.build_solutions(root, names)
    for p in written:
        print(f"built {p.relative_to(root)}")
    nbg = grading.api(root / "course")
    failed = 0
    for name in names or course.lesson_names(root):
        result = nbg.generate_assignment(name, force=True)
        if not result.get("success"):
            failed += 1
            print(f"release of {name} failed:\n{result.get('log', '')}{result.get('error', '')}", file=sys.stderr)
        else:
            print(f"released lessons/{name}")
    if course.update_syllabus(root):
        print("updated course/syllabus.md")
    return 1 if failed else 0


def _grade(root, args) -> int:
    from . import instructor

    course_ = instructor.Course(root, solutions=args.solutions, cell_timeout=getattr(args, "timeout", None))
    if args.grade_command == "release":
        names = args.assignments or course.lesson_names(root)
        if course_.solutions is None:
            for p in course.build_solutions(root, args.assignments or None):
                print(f"built {p.relative_to(root)}")
        return instructor.release(course_, names, zip_to=args.zip)
    if args.grade_command == "collect":
        report = instructor.collect(course_, args.assignment, args.download, pattern=args.pattern)
        return 0 if report.students else 1
    if args.grade_command == "autograde":
        report = instructor.autograde(course_, args.assignment, students=args.student or None)
        return 0 if report.students and all(s.ok for s in report.students) else 1
    if args.grade_command == "feedback":
        rep = instructor.feedback(course_, args.assignment, students=args.student or None)
        return 1 if rep.withheld or rep.failed else 0
    if args.grade_command == "export":
        instructor.export(course_, args.out)
        return 0
    if args.grade_command == "formgrader":
        return instructor.formgrader(course_, port=args.port, open_browser=args.browser)
    return 2


def _add_grade_parser(sub) -> None:
    p = sub.add_parser("grade", help="instructor: release, collect, autograde, formgrader, feedback, export",
                       description="The grading cycle; works from any folder inside the course repository.")
    p.add_argument("--solutions", type=Path, default=None,
                   help="a private copy of solutions/ (default: solutions/, or $MMTEACH_SOLUTIONS)")
    g = p.add_subparsers(dest="grade_command", required=True)
    r = g.add_parser("release", help="generate lessons/NN from solutions/NN and record it in the gradebook")
    r.add_argument("assignments", nargs="*")
    r.add_argument("--zip", type=Path, default=None, help="also write NN.zip into this folder for your LMS")
    c = g.add_parser("collect", help="file submissions from an LMS download (folder or zip)")
    c.add_argument("assignment")
    c.add_argument("download", type=Path, help="folder or zip: one folder/zip per student, or <student>_..._NN.ipynb files")
    c.add_argument("--pattern", default=None, help="regex for file names with a (?P<student>...) group")
    a = g.add_parser("autograde", help="grade all submissions of an assignment")
    a.add_argument("assignment")
    a.add_argument("--student", action="append", help="only this student (repeatable)")
    a.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: course setting)")
    f = g.add_parser("feedback", help="write HTML feedback (hidden tests removed) to course/feedback/")
    f.add_argument("assignment")
    f.add_argument("--student", action="append", help="only this student (repeatable)")
    e = g.add_parser("export", help="write grades to CSV")
    e.add_argument("--out", type=Path, default=None, help="default: course/grades.csv")
    fg = g.add_parser("formgrader", help="open JupyterLab's formgrader on the course for manual grading")
    fg.add_argument("--port", type=int, default=8890)
    fg.add_argument("--browser", action="store_true", help="open a browser")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mmteach", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_lab = sub.add_parser("lab", help="open the course in JupyterLab")
    p_lab.add_argument("--port", type=int, default=8888)
    p_lab.add_argument("--browser", dest="browser", action="store_true", default=None, help="open a browser")
    p_lab.add_argument("--no-browser", dest="browser", action="store_false", help="only print the URL")
    sub.add_parser("sync", help="copy new or updated lessons into workspace/")
    p_build = sub.add_parser("build", help="rebuild solutions/ from course/src")
    p_build.add_argument("lessons", nargs="*")
    p_rel = sub.add_parser("release", help="rebuild solutions/ and lessons/")
    p_rel.add_argument("lessons", nargs="*")
    _add_grade_parser(sub)
    args = parser.parse_args(argv)

    root = course.repo_root()
    if args.command == "lab":
        return workspace.lab(root, port=args.port, open_browser=args.browser)
    if args.command == "sync":
        print(workspace.sync(root / "lessons", root / "workspace").summary())
        return 0
    if args.command == "build":
        for p in course.build_solutions(root, args.lessons or None):
            print(f"built {p.relative_to(root)}")
        return 0
    if args.command == "release":
        return _release(root, args.lessons or None)
    if args.command == "grade":
        return _grade(root, args)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
