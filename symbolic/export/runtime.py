"""What runs on the platforms: PrairieLearn's server.py hooks and Gradescope's run_autograder.

The exported files stay thin (a few lines that call this module); the grading is gradproof's own key
grader (:class:`gradproof.symbolic.exercise.grading.KeyGrader`), so a platform's scores and feedback are
those of ``gradproof grade --key``. This module imports nothing a platform lacks: numpy, sympy, lark and
gradproof itself (bundle.py ships the last two).

PrairieLearn calls ``generate(data)``, ``parse(data)`` and ``grade(data)`` with its ``data`` dict; the
question's data (its variants' points and key entries, the network, the shares of partial credit) is a
JSON document beside the question, passed in as ``bundle``. Gradescope runs ``run_autograder``, which calls
:func:`gradescope` with the autograder root (``/autograder`` on Gradescope; any folder laid out the same
way for a test).
"""
import csv
import html
import io
import json
import re
import sys
import time
from pathlib import Path

MAX_ANSWER = 20_000          # characters of one submitted answer that are read; longer is not gradable


def feedback_html(feedback):
    """The grader's feedback (Markdown: **bold** and backslash escapes only) as an HTML fragment."""
    text = re.sub(r"\\(.)", lambda m: f"\x00{ord(m.group(1))}\x00", feedback)
    text = html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"\x00(\d+)\x00", lambda m: html.escape(chr(int(m.group(1))), quote=False), text)
    return f"<p>{text}</p>"


# ---- PrairieLearn -------------------------------------------------------------------------------------
def _key_of(bundle):
    """A one-question key (KeyGrader's input) from the question's bundle."""
    return {"title": bundle["title"], "network": bundle["network"], "grading": bundle["grading"],
            "variants": bundle["variants"]}


_graders = {}


def _grader(bundle):
    from gradproof.symbolic.exercise.grading import KeyGrader
    digest = bundle["digest"]
    if digest not in _graders:
        _graders[digest] = KeyGrader(_key_of(bundle), source="question data")
    return _graders[digest]


def pl_generate(data, bundle):
    """Choose the variant from PrairieLearn's seed; set the page's params and the correct answers."""
    variants = bundle["variants"]
    v = variants[int(data["variant_seed"]) % len(variants)]
    data["params"]["variant"] = v["variant"]
    data["params"]["text"] = bundle["texts"][v["variant"]]
    data["params"]["solution"] = bundle["solutions"][v["variant"]]
    for b in v["questions"][0]["blanks"]:
        data["correct_answers"][bundle["names"][b["blank"]]] = b["answer"]


def _answers(data, bundle):
    """(answers-name, blank id, the answer as typed) for each blank of the question."""
    raw = data.get("raw_submitted_answers") or {}
    parsed = data.get("submitted_answers") or {}
    for blank, name in bundle["names"].items():
        text = raw.get(name, parsed.get(name))
        yield name, blank, None if text is None else str(text)[:MAX_ANSWER]


def pl_parse(data, bundle):
    """An answer gradproof cannot read is a format error: not graded, and it costs no attempt."""
    grader = _grader(bundle)
    variant = data["params"]["variant"]
    for name, blank, text in _answers(data, bundle):
        if name in data["format_errors"]:
            continue
        result = grader.grade(variant, blank, text)
        if result.verdict == "invalid":
            data["format_errors"][name] = feedback_html(result.feedback)


def pl_grade(data, bundle):
    """Score each blank with the key grader: partial_scores, feedback and the weighted total."""
    grader = _grader(bundle)
    variant = data["params"]["variant"]
    total = weights = 0.0
    for name, blank, text in _answers(data, bundle):
        result = grader.grade(variant, blank, text)
        if result.verdict == "invalid":
            data["format_errors"][name] = feedback_html(result.feedback)
            continue
        weight = float(bundle["points"][blank])
        score = result.score / result.max_score if result.max_score else 0.0
        feedback = feedback_html(result.feedback)          # PrairieLearn shows feedback as HTML
        data["partial_scores"][name] = {"score": score, "weight": weight, "feedback": feedback}
        data["feedback"][name] = feedback
        total += score * weight
        weights += weight
    data["score"] = total / weights if weights else 0.0


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
    from gradproof.numeric.codecheck.api import check_file
    from gradproof.numeric.codecheck.report import gradescope_tests
    tests = []
    path = Path(root) / "submission" / name if name else None
    if path is None or not path.is_file():
        return tests
    for path in (path,):
        report = check_file(path, spec)
        codes = list((report.diagnosis or {}).get("codes", []))
        for n, t in enumerate(gradescope_tests(report), 1):
            tests.append({**t, "name": f"{path.name}, {t['name']}", "number": f"{path.stem}.{n}",
                          "score": float(t["score"]), "max_score": float(t["max_score"]), "output_format": "text",
                          "visibility": "visible", "extra_data": {"verdict": report.verdict, "diagnosis": codes}})
    return tests


def _answer_tests(grader, variant, answers):
    """One test per blank of the variant's questions, graded against the key."""
    tests = []
    for q in grader.assignment.questions:
        for b in grader.variants[variant].blanks[q.number]:
            blank = b.id
            result = grader.grade(variant, blank, answers.get(blank))
            points = float(b.points)
            if result.verdict == "invalid":
                output = f"Could not read your answer to blank {blank}, so it scores 0. {result.feedback}"
                score = 0.0
            else:
                output, score = result.feedback, float(result.score)
            tests.append({"name": f"Question {q.id}, blank {blank}", "number": blank,
                          "score": round(score, 10), "max_score": points,
                          "status": "passed" if result.verdict == "correct" else "failed",
                          "output": output, "output_format": "md", "visibility": "visible",
                          "extra_data": {"verdict": result.verdict, "diagnosis": list(result.diagnosis),
                                         "parsed_latex": result.parsed_latex}})
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
    return {"score": round(sum(t["score"] for t in tests), 6),
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
