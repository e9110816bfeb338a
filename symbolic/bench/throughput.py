"""Grading throughput: per-answer latency in this process, and the wall time of a batch on every core, over a
catalogue of correct and incorrect answers.
"""
import os
import re
import statistics
import time

from .units import goal
from .units import seconds as _s

TITLE = "Grading throughput"


def grading(sizes, progress=None):
    """Per-answer latency in this process, and the wall time of a batch on every core.

    The catalogue holds, for every parameter of the notes' network, its closed form (correct), twice it
    and its negation (incorrect), as LaTeX printed by gradproof. The grader is imported at run time: it
    is optional here, so that the other sections run without it.
    """
    try:
        from ..grade import grade
        from ..grade.batch import grade_rows
    except ImportError as error:
        return {"available": False, "note": f"grader not available ({error})"}
    try:
        catalogue = _catalogue(sizes.answers)
        latency = catalogue[:max(1, sizes.answers // 5)]
        times, agree = [], 0
        for spec_, param, answer, correct in latency:
            start = time.perf_counter()
            result = grade(spec_, param, answer)
            times.append(time.perf_counter() - start)
            agree += result.correct == correct
        if progress:
            progress(f"grading latency: median {statistics.median(times) * 1e3:.1f} ms")
        voices = _voice_latency(grade, latency)
        rows = [(str(n), str(param), answer, None) for n, (_, param, answer, _) in enumerate(catalogue)]
        jobs = os.cpu_count() or 1
        start = time.perf_counter()
        results = grade_rows(catalogue[0][0], rows, jobs=jobs)
        batch_s = time.perf_counter() - start
    except Exception as error:           # the grader is young: report, do not crash the other sections
        return {"available": False, "note": f"grader not usable: {type(error).__name__}: {error}"}
    batch_agree = sum((r["verdict"] == "correct") == c for r, (_, _, _, c) in zip(results, catalogue))
    times.sort()
    return {"available": True, "network": catalogue[0][0].layers_text,
            "latency": {"answers": len(times), "median_ms": statistics.median(times) * 1e3,
                        "p90_ms": times[int(0.9 * (len(times) - 1))] * 1e3, "max_ms": times[-1] * 1e3,
                        "verdicts_as_expected": agree},
            "voices": voices,
            "batch": {"answers": len(rows), "jobs": jobs, "seconds": batch_s, "answers_per_second": len(rows) / batch_s,
                      "seconds_per_1000": batch_s / len(rows) * 1000, "verdicts_as_expected": batch_agree}}


# The same answers as students type them in other voices than LaTeX: Python/Maxima, AsciiMath, UnicodeMath and
# phone text, made from sympy's plain printer by renaming (O_31 -> O31, O_(31), O₃₁; w^3_11 -> w3_11, w_(11)^(3), ...)
def _python(text):
    text = re.sub(r"w\^(\d+)_(\d+)", r"w\1_\2", text)
    return re.sub(r"\b([Oxyz])_(\d+)", r"\1\2", text)


def _asciimath(text):
    text = re.sub(r"w\^(\d+)_(\d+)", r"w_(\2)^(\1)", text)
    text = re.sub(r"\b([Oxyz])_(\d+)", r"\1_(\2)", text)
    return text.replace("**", "^").replace("*", " ")


def _unicodemath(text):
    text = re.sub(r"w\^(\d+)_(\d+)", r"w_\2^\1", text)
    return text.replace("**", "^").replace("*", "⋅").replace("-", "−")


VOICES = {"python": _python, "asciimath": _asciimath, "unicodemath": _unicodemath}


def _voice_latency(grade, answers):
    """The median grading time of the same answers in each voice, LaTeX first (its time is the reference)."""
    from ..printing import terminal
    from ..printing import text as plain

    out = {}
    for voice in ("latex", *VOICES, "phone"):
        times = []
        for spec_, param, answer, _ in answers:
            if voice != "latex":
                expr = _expressions(spec_)[(param, answer)]
                answer = terminal(expr) if voice == "phone" else VOICES[voice](plain(expr))
            start = time.perf_counter()
            grade(spec_, param, answer)
            times.append(time.perf_counter() - start)
        out[voice] = {"answers": len(times), "median_ms": statistics.median(times) * 1e3}
    for voice in out:
        out[voice]["over_latex"] = out[voice]["median_ms"] / out["latex"]["median_ms"]
    return out


_EXPRESSIONS = {}


def _expressions(spec):
    """(param, LaTeX) -> the expression it was printed from, for the catalogue's answers."""
    if spec not in _EXPRESSIONS:
        from ..chain import derive_all, settle
        from ..printing import latex

        table = {}
        for d in derive_all(spec):
            right = settle(d.closed_form)
            for expr in (right, 2 * right, -right):
                table[(d.param, latex(expr))] = expr
        _EXPRESSIONS[spec] = table
    return _EXPRESSIONS[spec]


def _catalogue(count):
    """(spec, param, answer LaTeX, is it correct) for the notes' network, cycled to ``count`` answers."""
    from gradproof.numeric.spec import Spec

    from ..chain import derive_all, settle
    from ..printing import latex

    spec = Spec()
    rows = []
    for d in derive_all(spec):
        right = settle(d.closed_form)
        rows += [(spec, d.param, latex(right), True), (spec, d.param, latex(2 * right), False),
                 (spec, d.param, latex(-right), False)]
    return [rows[i % len(rows)] for i in range(count)]


def lines(g):
    if not g.get("available"):
        return [f"   {g['note']}"]
    lat, batch = g["latency"], g["batch"]
    return [f"   one process, {lat['answers']} answers: median {lat['median_ms']:.1f} ms, "
            f"90th percentile {lat['p90_ms']:.1f} ms, max {lat['max_ms']:.1f} ms "
            f"({lat['verdicts_as_expected']}/{lat['answers']} verdicts as expected)",
            f"   batch on {batch['jobs']} cores, {batch['answers']} answers: {_s(batch['seconds'])}, "
            f"{batch['answers_per_second']:.1f} answers/s, 1,000 answers in {batch['seconds_per_1000']:.1f} s "
            f"({batch['verdicts_as_expected']}/{batch['answers']} verdicts as expected)",
            "   median per voice: " + ", ".join(f"{v} {t['median_ms']:.1f} ms ({t['over_latex']:.2f}x)"
                                               for v, t in g.get("voices", {}).items())]


def goals(g):
    """A median answer within 100 ms; 1,000 answers within a minute on every core."""
    if not g.get("available"):
        return []
    median, per_1000 = g["latency"]["median_ms"], g["batch"]["seconds_per_1000"]
    voices = g.get("voices", {})
    slowest = max(voices, key=lambda v: voices[v]["over_latex"]) if voices else None
    by_voice = [goal(f"grading: slowest voice ({slowest}) / LaTeX, median", "<= 2", voices[slowest]["over_latex"],
                     voices[slowest]["over_latex"] <= 2)] if slowest else []
    return by_voice + [goal("grading: median per answer", "<= 100 ms", median, median <= 100),
            goal(f"grading: 1,000 answers on {g['batch']['jobs']} cores", "<= 60 s", per_1000, per_1000 <= 60,
                 None if g["batch"]["answers"] >= 1000 else f"scaled from {g['batch']['answers']} answers")]
