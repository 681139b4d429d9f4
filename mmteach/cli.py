"""``mmteach`` command: the learner's and the course maintainer's entry points.

    mmteach lab        copy new lessons into workspace/ (never overwriting) and open JupyterLab
    mmteach sync       only the copying step
    mmteach build      rebuild solutions/ from the lesson sources in course/src
    mmteach release    build, then regenerate lessons/ from solutions/ with nbgrader, and
                       refresh the points table in course/syllabus.md
"""
from __future__ import annotations

import argparse
import sys

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
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
