"""What runs on Gradescope: run_autograder's grading (PrairieLearn's server.py hooks are pl_runtime.py).

The exported files stay thin (a few lines that call this module); the grading is gradproof's own key
grader (:class:`gradproof.symbolic.exercise.grading.KeyGrader`), so a platform's scores and feedback are
those of ``gradproof grade --key``. This module imports nothing a platform lacks: numpy, sympy, lark and
gradproof itself (bundle.py ships the last two).

Gradescope runs ``run_autograder``, which calls :func:`gradescope` with the autograder root
(``/autograder`` on Gradescope; any folder laid out the same way for a test).
"""
import csv
import gc
import io
import json
import sys
import time
from fractions import Fraction
from pathlib import Path

MAX_ANSWER = 20_000          # characters of one submitted answer that are read; longer is not gradable


# ---- Gradescope ---------------------------------------------------------------------------------------
def _read_submission(folder):
    """(variant or None, {blank: answer}) from answers.json or answers.csv, or an error sentence."""
    folder = Path(folder)
    if (folder / "answers.json").is_file():
        try:
            data = json.loads((folder / "answers.json").read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return None, {}, f"answers.json is not valid JSON: {error}"
        if not isinstance(data, dict):
            return None, {}, "answers.json must be an object: {\"variant\": ..., \"answers\": {question: answer}}"
        answers = data.get("answers", {k: v for k, v in data.items() if k != "variant"})
        if not isinstance(answers, dict):
            return None, {}, "answers.json: \"answers\" must map each question to its answer"
        return data.get("variant"), {str(k): ("" if v is None else str(v)) for k, v in answers.items()}, None
    if (folder / "answers.csv").is_file():
        text = (folder / "answers.csv").read_text(encoding="utf-8", errors="replace")
        csv.field_size_limit(max(csv.field_size_limit(), 10 * MAX_ANSWER))
        rows = list(csv.reader(io.StringIO(text)))
        if not rows or [c.strip().lower() for c in rows[0][:2]] != ["question", "answer"]:
            return None, {}, "answers.csv must start with the header question,answer"
        answers, variant = {}, None
        for row in rows[1:]:
            if len(row) >= 2 and row[0].strip().lower() == "variant":
                variant = row[1].strip()
            elif len(row) >= 2:
                answers[row[0].strip()] = row[1]
        return variant, answers, None
    return None, {}, "no answers.json or answers.csv in the submission"


def _roster_variant(root):
    """The student's variant from source/variants.csv (student,variant), matched on the users' email in
    submission_metadata.json (the field Gradescope documents: email, id, name); None without a roster."""
    roster = Path(root) / "source" / "variants.csv"
    metadata = Path(root) / "submission_metadata.json"
    if not roster.is_file() or not metadata.is_file():
        return None
    try:
        users = json.loads(metadata.read_text(encoding="utf-8")).get("users", [])
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return None
    emails = {str(u.get("email", "")).strip().lower() for u in users if isinstance(u, dict) and u.get("email")}
    with open(roster, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if str(row.get("student", "")).strip().lower() in emails:
                return str(row.get("variant", "")).strip()
    return None


def _code_name(root):
    """The file name a student's own backprop is submitted under (the export's --code), or None."""
    config = Path(root) / "source" / "gradescope.json"
    try:
        return json.loads(config.read_text(encoding="utf-8")).get("code") if config.is_file() else None
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return None


def _code_tests(root, spec, name):
    """One test per layer for the submission's file ``name``: the student's own backward(W, b, x, y) for the
    homework's network, checked in a limited child process against backprop (check-code). Other files of
    the submission (helpers, notes) are not run."""
    tests = []
    path = Path(root) / "submission" / name if name else None
    if path is None or not path.is_file():
        return tests
    from gradproof.numeric.codecheck.api import check_file
    from gradproof.numeric.codecheck.report import gradescope_tests
    for path in (path,):
        report = check_file(path, spec)
        codes = list((report.diagnosis or {}).get("codes", []))
        for n, t in enumerate(gradescope_tests(report), 1):
            tests.append({**t, "name": f"{path.name}, {t['name']}", "number": f"{path.stem}.{n}",
                          "score": float(t["score"]), "max_score": float(t["max_score"]), "output_format": "text",
                          "visibility": "visible", "extra_data": {"verdict": report.verdict, "diagnosis": codes}})
    return tests


def _answer_tests(grader, variant, answers):
    """One test per blank of the variant's questions, graded against the key by its rules."""
    tests = []
    question_of = {b.id: q for q in grader.assignment.questions for b in grader.variants[variant].blanks[q.number]}
    for result in grader.grade_submission(variant, answers):
        blank = result.question
        tests.append({"name": f"Question {question_of[blank].id}, blank {blank}", "number": blank,
                      "score": result.score, "max_score": grader.grading.rounded(grader.points[(variant, blank)]),
                      "status": "passed" if result.verdict == "correct" else "failed",
                      "output": result.feedback, "output_format": "md", "visibility": "visible",
                      "extra_data": {"verdict": result.verdict, "diagnosis": list(result.diagnosis),
                                     "parsed_latex": result.parsed_latex, "exact": str(result.exact)}})
    return tests


def gradescope_results(root):
    """The results.json document for the submission under root (the autograder's layout): the answers
    (answers.json or answers.csv) against the key, and any Python file as the student's own backprop."""
    from gradproof.symbolic.exercise.grading import KeyGrader
    started = time.monotonic()
    root = Path(root)
    key = json.loads((root / "source" / "key.json").read_text(encoding="utf-8"))
    grader = KeyGrader(key, source="key.json")
    code = _code_tests(root, grader.spec, _code_name(root))
    declared, answers, problem = _read_submission(root / "submission")
    assigned = _roster_variant(root)
    variant = assigned or declared
    tests, notes = list(code), []
    if code and problem and not answers and "no answers.json" in problem:
        problem = None                       # a code-only submission
    elif assigned and declared and declared != assigned:
        notes.append(f"Could not grade the answers of this submission: they are for variant {declared!r}, and "
                     f"the roster gives you variant {assigned!r}.")
    elif problem or variant not in grader.variants:
        why = problem or ("your variant is not known: put \"variant\" in answers.json (or a row variant,ID in "
                          "answers.csv), as printed on your question sheet" if not variant else
                          f"variant {variant!r} is not one of this assignment's variants")
        notes.append(f"Could not grade the answers of this submission: {why}.")
    else:
        tests = _answer_tests(grader, variant, answers) + tests
        notes.append(f"Variant {variant}: graded by gradproof against the answer key.")
    if code:
        notes.append(f"{len({t['name'].split(',')[0] for t in code})} Python file(s) checked as your own backward(W, b, x, y).")
    exact = sum((Fraction(t["extra_data"]["exact"]) for t in tests if "exact" in t.get("extra_data", {})), Fraction(0))
    others = sum(t["score"] for t in tests if "exact" not in t.get("extra_data", {}))
    return {"score": grader.grading.rounded(exact) + others,
            "execution_time": round(time.monotonic() - started, 3),
            "output": " ".join(notes), "output_format": "md",
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"variant": variant, **({"problem": notes[0]} if notes and notes[0].startswith("Could") else {})}}


def gradescope(root="/autograder"):
    """Grade the submission under root and write root/results/results.json (what run_autograder calls)."""
    results = gradescope_results(root)
    out = Path(root) / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1, allow_nan=False), encoding="utf-8")
    return results


if __name__ == "__main__":
    gradescope(sys.argv[1] if len(sys.argv) > 1 else "/autograder")
    gc.freeze()          # results.json is written: the exit need not collect sympy's objects (see cli.program)
