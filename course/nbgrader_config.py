# nbgrader reads this file from the current folder only: run nbgrader from course/,
# or use `mmteach grade ...`, which does that for you from anywhere.
import os

from mmteach.grading import configure

c = get_config()  # noqa: F821 (provided by nbgrader)
configure(c, os.path.dirname(os.path.abspath(__file__)))
