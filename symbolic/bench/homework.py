"""Homework: ``gradproof exercise`` (variants of the five-question assignment with their key and HTML and
Markdown pages, no PDF) and ``gradproof grade --key`` (keyed answers graded at their variants' points).
The figures come from symbolic/exercise/bench.py, on the wall clock and in CPU seconds.
"""
from .units import goal
from .units import seconds as _s

TITLE = "Homework (gradproof exercise, grade --key)"


def measure(sizes, progress=None):
    from ..exercise import bench
    if progress:
        progress("homework: variants and keyed grading")
    return bench.run(sizes.name)


def lines(section):
    made, graded = section["variants"], section["grading"]
    return [f"   {made['variants']} variants of {made['questions']} questions on {made['network']}, key and "
            f"HTML/Markdown pages: {_s(made['seconds'])} ({made['cpu_seconds']:.1f} CPU s)",
            f"   {graded['rows']:,} keyed answers graded on {graded['jobs']} cores: {_s(graded['seconds'])} "
            f"({graded['cpu_seconds']:.1f} CPU s)"]


def goals(section):
    """300 variants with HTML solutions within 60 s; 10,000 keyed rows graded within 60 s."""
    made, graded = section["variants"], section["grading"]
    return [goal(f"exercise: {made['variants']} variants with HTML solutions (no PDF)", "<= 60 s", made["seconds"],
                 made["seconds"] <= 60, f"{made['cpu_seconds']:.1f} CPU s"
                 + ("" if made["variants"] >= 300 else "; the goal is for 300 variants")),
            goal(f"grading: {graded['rows']:,} keyed rows on {graded['jobs']} cores", "<= 60 s", graded["seconds"],
                 graded["seconds"] <= 60, f"{graded['cpu_seconds']:.1f} CPU s"
                 + ("" if graded["rows"] >= 10_000 else "; the goal is for 10,000 rows"))]
