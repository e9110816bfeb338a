"""The homework rows of ``gradproof bench``: drawing variants with HTML solutions (no PDF), and grading keyed rows.

Both are timed on the wall clock and in CPU seconds (this process and its workers): on a shared machine
the wall time says what a user waits, the CPU time what the work costs.
"""
import csv
import os
import random
import tempfile
import time
from pathlib import Path

ASSIGNMENT = """
[assignment]
title = "Backpropagation, homework 1"
seed = 2026
variants = {variants}
[network]
layers = {layers}
[[question]]
kind = "expression"
param = "w^1_11"
points = 4
[[question]]
kind = "gradient"
param = "w^2_11"
points = 2
[[question]]
kind = "step"
lr = 0.5
points = 4
[[question]]
kind = "paths"
param = "w^1_21"
points = 1
[[question]]
kind = "flow"
param = "w^1_11"
points = 2
[grading]
sign = 0.5
factor = 0.5
missing_path = 0.25
"""

SIZES = {"full": (300, 10_000, [4, 3, 2, 1]), "quick": (30, 1_000, [4, 3, 2, 1]), "tiny": (2, 40, [3, 2, 1])}


def _cpu():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _answers(key, count, seed=0):
    """count rows id,variant,question,answer: right answers, sign and factor slips, unreadable ones."""
    rng = random.Random(seed)
    blanks = [(v.id, b) for v in key.variants for b in v.all_blanks()]
    rows = []
    for n in range(count):
        variant, b = rng.choice(blanks)
        a, r = b.answer, rng.random()
        if isinstance(a, str):
            answer = a if r < 0.6 else f"-({a})" if r < 0.9 else r"\frac{"
        elif isinstance(a, int):
            answer = str(a if r < 0.7 else a + 1)
        else:
            answer = repr(a) if r < 0.5 else repr(-a) if r < 0.7 else repr(2 * a) if r < 0.85 else \
                repr(a * 1.37) if r < 0.95 else "1 +"
        # each student answers their own variant only (a student's rows under several variants are invalid)
        rows.append((n + 2, f"{variant}-s{n % 10}", variant, b.id, answer))
    return rows


def run(size="quick", jobs=None):
    """{"variants": {...}, "grading": {...}} for one size."""
    from . import assignment, batch, generate, output
    from .grading import KeyGrader

    variants, count, layers = SIZES[size]
    with tempfile.TemporaryDirectory(prefix="gradproof-bench-") as folder:
        path = Path(folder) / "hw.toml"
        path.write_text(ASSIGNMENT.format(variants=variants, layers=layers), encoding="utf-8")
        wall, cpu = time.perf_counter(), _cpu()
        task = assignment.load(path)
        ctx = generate.Context(task)
        drawn = generate.variants(task, ctx)
        output.write(task, ctx, drawn, Path(folder) / "hw", pdf=False, jobs=jobs)
        made = {"variants": variants, "network": "-".join(map(str, layers)), "questions": len(task.questions),
                "seconds": time.perf_counter() - wall, "cpu_seconds": _cpu() - cpu,
                "bytes": sum(p.stat().st_size for p in (Path(folder) / "hw").rglob("*") if p.is_file())}
        key = KeyGrader.from_file(Path(folder) / "hw" / "key.json").assignment
        rows = _answers(key, count)
        answers = Path(folder) / "answers.csv"
        with open(answers, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "variant", "question", "answer"])
            writer.writerows(r[1:] for r in rows)
        wall, cpu = time.perf_counter(), _cpu()
        grader = KeyGrader.from_file(Path(folder) / "hw" / "key.json")
        read = batch.read_rows(answers)
        results, _ = batch.score(grader, read, batch.grade_rows(grader, read, jobs))
        graded = {"rows": count, "seconds": time.perf_counter() - wall, "cpu_seconds": _cpu() - cpu,
                  "jobs": jobs or os.cpu_count() or 1,
                  "verdicts": {v: sum(r.verdict == v for r in results) for v in ("correct", "incorrect", "invalid")}}
    return {"size": size, "variants": made, "grading": graded}
