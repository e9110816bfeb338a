"""What PrairieLearn runs: the hooks each exported question's server.py calls, with the question's data.

PrairieLearn calls ``generate``, ``parse``, ``grade`` and ``test`` of server.py with its ``data`` dict
(PrairieLearn/PrairieLearn, ``docs/question/server.md``). The variant comes from the student, not from the
question's seed, so that every question of the assignment shows the same network: the roster's variant for the
student's UID (or UIN), else one drawn from the UID itself; PrairieLearn passes the user in
``data["options"]["user"]`` when the course allows questions to access user identity. Without a user (a
staff preview, or the course setting off) the question's own seed chooses, and the page says so.

Blanks are ``pl-string-input`` elements without a correct answer of their own, so that the element only
collects the text (a number in any notation gradproof reads, ``7.9 \\times 10^{-3}`` included) and the
grading is gradproof's key grader's. Feedback is plain text with ``\\( \\)`` math, which the page prints
once and MathJax typesets. ``test`` gives PrairieLearn's "Test" button the submissions and the
partial_scores and score that parse and grade must then produce.
"""
import hashlib
import re
from fractions import Fraction

from .runtime import MAX_ANSWER


def _grader(bundle, cache={}):
    from gradproof.symbolic.exercise.grading import KeyGrader
    digest = bundle["digest"]
    if digest not in cache:
        key = {"title": bundle["title"], "network": bundle["network"], "grading": bundle["grading"],
               "variants": bundle["variants"]}
        cache[digest] = KeyGrader(key, source="question data")
    return cache[digest]


def _draw(bundle, name):
    """One of the variants, drawn from a name (the same name, the same variant in every question)."""
    order = [v["variant"] for v in bundle["variants"]]
    draw = int.from_bytes(hashlib.sha256(f"{bundle['title']}\x1f{name}".encode()).digest()[:8], "big")
    return order[draw % len(order)]


def choose(bundle, user, seed, group=None):
    """(variant id, how it was chosen): the roster's for the user's UID or UIN, else one drawn from the UID; on
    a group assessment (no user, PrairieLearn passes the group) the roster's for its first listed member, else
    one drawn from the group's name; without either, from the question's own seed."""
    for person in ([user] if user else []) + (list(group.get("members") or []) if group and not user else []):
        for ident in (person.get("uid"), person.get("uin")):
            if ident and str(ident).strip().lower() in bundle["roster"]:
                return bundle["roster"][str(ident).strip().lower()], "roster"
    if user:
        return _draw(bundle, str(user.get("uid", "")).strip().lower()), "uid"
    if group and group.get("name"):
        return _draw(bundle, "group\x1f" + str(group["name"])), "group"
    order = [v["variant"] for v in bundle["variants"]]
    return order[int(seed) % len(order)], "seed"


def feedback_text(markdown):
    """gradproof's feedback (Markdown: **bold** and backslash escapes) as plain text, which the page escapes."""
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", markdown, flags=re.S)
    return re.sub(r"\\(.)", r"\1", text).strip()


def generate(data, bundle):
    options = data.get("options") or {}
    variant, how = choose(bundle, options.get("user"), data["variant_seed"], options.get("group"))
    data["params"]["variant"] = variant
    data["params"]["text"] = bundle["texts"][variant]
    data["params"]["solution"] = bundle["solutions"][variant]
    data["params"]["seeded"] = how == "seed"


def _answers(data, bundle):
    """(answers-name, blank id, the answer as typed or None) for each blank."""
    submitted = data.get("submitted_answers") or {}
    raw = data.get("raw_submitted_answers") or {}
    for blank, name in bundle["names"].items():
        text = submitted.get(name, raw.get(name))
        yield name, blank, None if text is None else str(text)[:MAX_ANSWER]


def _rule(bundle, what):
    """The [grading] rule for a blank or unreadable answer: "retry" (not graded) or the share it keeps (0)."""
    return (bundle.get("grading") or {}).get(what, 0)


def parse(data, bundle):
    """Under the "retry" rule, a blank or unreadable answer is a format error: not graded, no attempt spent."""
    grader = _grader(bundle)
    for name, blank, text in _answers(data, bundle):
        if name in data["format_errors"]:
            continue
        if text is None or not text.strip():
            if _rule(bundle, "blank") == "retry":
                data["format_errors"][name] = "Left blank: give a value."
            continue
        result = grader.grade(data["params"]["variant"], blank, text)
        if result.verdict == "invalid" and _rule(bundle, "unreadable") == "retry":
            data["format_errors"][name] = feedback_text(result.feedback)


def scores(bundle, variant, answers):
    """{answers-name: partial score}, and the question's score as an exact share of its points."""
    grader = _grader(bundle)
    partial, earned, possible = {}, Fraction(0), Fraction(0)
    typed = {blank: None if answers.get(name) is None else str(answers.get(name))[:MAX_ANSWER]
             for blank, name in bundle["names"].items()}
    # the key's rules for the whole submission: empty and unreadable answers, carried-forward errors, exact shares
    graded = {g.question: g for g in grader.grade_submission(variant, typed)}
    for blank, name in bundle["names"].items():
        points = Fraction(bundle["points"][blank]).limit_denominator(10 ** 6)
        g = graded[blank]
        share = g.exact / g.exact_max if g.exact_max else Fraction(0)
        partial[name] = {"score": float(share), "weight": float(points), "feedback": feedback_text(g.feedback)}
        earned += share * points
        possible += points
    return partial, float(earned / possible) if possible else 0.0


def grade(data, bundle):
    answers = {name: text for name, _, text in _answers(data, bundle)}
    partial, score = scores(bundle, data["params"]["variant"], answers)
    for name, entry in partial.items():
        if name in data["format_errors"]:
            continue
        data["partial_scores"][name] = entry
        data["feedback"][name] = entry["feedback"]
    data["score"] = score


def _typed(answer):
    """The key as a student types it: a number to 6 significant figures, an expression as written."""
    return f"{answer:.6g}" if isinstance(answer, float) else str(answer)


def test(data, bundle):
    """The submission PrairieLearn's Test button sends for data["test_type"], and what grading it must give."""
    variant = data["params"]["variant"]
    entry = next(v for v in bundle["variants"] if v["variant"] == variant)["questions"][0]
    keys = {b["blank"]: b["answer"] for b in entry["blanks"]}
    answers = {}
    for n, (blank, name) in enumerate(bundle["names"].items()):
        answer = keys[blank]
        if data["test_type"] == "incorrect" and n == 0:
            answer = -answer if isinstance(answer, (int, float)) and answer else f"-({answer})"
        answers[name] = _typed(answer)
    if data["test_type"] == "invalid":
        answers[next(iter(bundle["names"].values()))] = "\\frac{1}{"
    for field in ("raw_submitted_answers", "partial_scores", "format_errors", "feedback"):
        data[field].clear()
    data["raw_submitted_answers"].update(answers)
    retry = data["test_type"] == "invalid" and _rule(bundle, "unreadable") == "retry"
    if retry:
        data["format_errors"][next(iter(bundle["names"].values()))] = "invalid"
    partial, score = scores(bundle, variant, answers)
    for name, value in partial.items():
        if name not in data["format_errors"]:
            data["partial_scores"][name] = value
    data["score"] = score
