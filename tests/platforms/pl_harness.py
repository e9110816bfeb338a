"""Runs exported PrairieLearn questions through PrairieLearn's own Python: its element code (the question
phases of ``prairielearn.internal.question_phases``), its data checks (``check_data``) and server.py loaded the
way ``zygote.py`` loads it, in the order ``question-servers/freeform.ts`` calls them, with the score computed as
freeform.ts computes it and the Test button's comparison of ``lib/question-testing.ts``.

Run with PrairieLearn's Python (3.13, its pinned numpy and sympy), from a PrairieLearn checkout:

    python pl_harness.py PL_APP_DIR COURSE_DIR < cases.json > results.json

PL_APP_DIR is ``apps/prairielearn`` of the checkout. Each case: {"question": QID, "user": {...} | null,
"seed": int, "answers": {name: text} | null, "test_type": "correct" | "incorrect" | "invalid" | null,
"render": bool}. Nothing of PrairieLearn is copied here: it is imported from PL_APP_DIR.
"""
import copy
import json
import os
import sys
from pathlib import Path

MIRROR = sys.argv[1] == "-"       # no PrairieLearn checkout: server.py alone, elements left out (a mirror)
APP = None if MIRROR else Path(sys.argv[1]).resolve()
COURSE = Path(sys.argv[2]).resolve()
if not MIRROR:
    sys.path.insert(0, str(APP / "python"))
    import chevron  # noqa: E402  (the mustache renderer PrairieLearn's elements use)
    from prairielearn.internal import question_phases  # noqa: E402
    from prairielearn.internal.check_data import check_data  # noqa: E402
else:
    def check_data(before, after, phase):
        return None

SAVED = list(sys.path)


def elements():
    out = {}
    if MIRROR:
        return out
    for folder in sorted((APP / "elements").iterdir()):
        info = folder / "info.json"
        if info.is_file():
            out[folder.name] = {"name": folder.name, "controller": json.loads(info.read_text())["controller"],
                                "type": "core"}
    return out


ELEMENT_INFO = elements()
SERVERS = {}


def server(qdir):
    """server.py as zygote.py loads it: exec'd with the question folder and serverFilesCourse on sys.path."""
    if qdir not in SERVERS:
        sys.path[:] = [str(qdir), str(COURSE / "serverFilesCourse"), *SAVED]
        os.chdir(qdir)
        path = qdir / "server.py"
        mod = {"__file__": str(path)}
        exec(compile(path.read_text(), str(path), "exec"), mod)
        SERVERS[qdir] = mod
    return SERVERS[qdir]


def options(qdir, user):
    return {"question_path": str(qdir), "client_files_question_path": str(qdir / "clientFilesQuestion"),
            "client_files_course_path": str(COURSE / "clientFilesCourse"),
            "server_files_course_path": str(COURSE / "serverFilesCourse"),
            "course_extensions_path": str(COURSE / "elementExtensions"), "user": user, "group": None}


def run_server(qdir, phase, data):
    before = copy.deepcopy(data)
    fn = server(qdir).get(phase)
    if fn is not None:
        sys.path[:] = [str(qdir), str(COURSE / "serverFilesCourse"), *SAVED]
        os.chdir(qdir)
        fn(data)
    problem = check_data(before, data, phase)
    if problem:
        raise RuntimeError(f"server.py {phase}(): {problem}")


def run_html(qdir, phase, data):
    if MIRROR:
        if phase in ("grade", "test"):
            data["score"] = 0
        return ""
    html = chevron.render((qdir / "question.html").read_text(), data)
    context = {"html": html, "elements": ELEMENT_INFO, "element_extensions": {}, "course_path": str(COURSE)}
    before = copy.deepcopy(data)
    result, _ = question_phases.process(phase, data, context)
    sys.path[:] = SAVED
    problem = check_data(before, data, phase)
    if problem:
        raise RuntimeError(f"elements {phase}(): {problem}")
    if phase in ("grade", "test"):        # freeform.ts: the score from partial_scores (partial credit on)
        total = weighted = 0
        for value in data["partial_scores"].values():
            score = value.get("score") if isinstance(value.get("score"), (int, float)) else 0
            weight = value.get("weight") if isinstance(value.get("weight"), (int, float)) else 1
            total += weight
            weighted += weight * score
        data["score"] = weighted / (total or 1)
    return result


def variant(qdir, user, seed):
    data = {"params": {}, "correct_answers": {}, "variant_seed": seed, "options": options(qdir, user),
            "preferences": {}}
    run_server(qdir, "generate", data)
    data["answers_names"] = {}
    run_html(qdir, "prepare", data)
    run_server(qdir, "prepare", data)
    del data["answers_names"]
    return data


def submit(qdir, v, raw):
    """parse then grade, as freeform.ts's parse() and grade() do; the submission as stored."""
    data = {"params": v["params"], "correct_answers": v["correct_answers"], "submitted_answers": dict(raw),
            "feedback": {}, "format_errors": {}, "variant_seed": v["variant_seed"], "options": v["options"],
            "preferences": {}, "raw_submitted_answers": dict(raw), "gradable": True}
    run_html(qdir, "parse", data)
    run_server(qdir, "parse", data)
    data["gradable"] = data["gradable"] and not data["format_errors"]
    if not data["gradable"]:
        return {"gradable": False, "format_errors": data["format_errors"], "partial_scores": None, "score": None,
                "feedback": data["feedback"], "params": data["params"]}
    data.update(partial_scores={}, score=0)
    run_html(qdir, "grade", data)
    run_server(qdir, "grade", data)
    data["gradable"] = not data["format_errors"]
    return {k: data[k] for k in ("gradable", "format_errors", "partial_scores", "score", "feedback", "params",
                                 "submitted_answers", "raw_submitted_answers")}


def render(qdir, v, submission, panel):
    data = {"params": submission["params"], "correct_answers": v["correct_answers"],
            "submitted_answers": submission.get("submitted_answers") or {},
            "format_errors": submission["format_errors"], "partial_scores": submission["partial_scores"] or {},
            "score": submission["score"] or 0, "feedback": submission["feedback"], "variant_seed": v["variant_seed"],
            "options": {**v["options"], "base_url": "/pl", "client_files_question_url": "/q",
                        "client_files_course_url": "/c", "client_files_question_dynamic_url": "/d",
                        "course_element_files_url": "/e", "course_element_extension_files_url": "/x",
                        "submission_files_url": None, "variant_id": "1", "external_image_capture_url": None,
                        "workspace_url": None},
            "preferences": {}, "raw_submitted_answers": submission.get("raw_submitted_answers") or {},
            "editable": False, "manual_grading": False, "ai_grading": False, "panel": panel,
            "num_valid_submissions": 1}
    return run_html(qdir, "render", data)


def test_button(qdir, v, test_type):
    """question-testing.ts: test() gives the expected grading; the raw answers go through parse and grade."""
    data = {"params": v["params"], "correct_answers": v["correct_answers"], "format_errors": {},
            "partial_scores": {}, "score": 0, "feedback": {}, "variant_seed": v["variant_seed"],
            "options": v["options"], "preferences": {}, "raw_submitted_answers": {}, "gradable": True,
            "test_type": test_type}
    run_html(qdir, "test", data)
    run_server(qdir, "test", data)
    expected_gradable = not data["format_errors"]
    got = submit(qdir, v, data["raw_submitted_answers"])
    issues = []
    if expected_gradable != got["gradable"]:
        issues.append(f'"gradable" mismatch: expected {expected_gradable} but got {got["gradable"]}')
    if sorted(data["format_errors"]) != sorted(got["format_errors"]):
        issues.append(f'"format_errors keys" mismatch: {sorted(data["format_errors"])} vs {sorted(got["format_errors"])}')
    if got["gradable"] and expected_gradable:
        if data["partial_scores"] != got["partial_scores"]:
            issues.append(f'"partial_scores" mismatch: expected {json.dumps(data["partial_scores"])} '
                          f'but got {json.dumps(got["partial_scores"])}')
        if data["score"] != got["score"]:
            issues.append(f'"score" mismatch: expected {data["score"]} but got {got["score"]}')
    return {"issues": issues, "raw": data["raw_submitted_answers"], "expected_score": data["score"],
            "score": got["score"]}


def main():
    out = []
    for case in json.load(sys.stdin):
        qdir = COURSE / "questions" / case["question"]
        v = variant(qdir, case.get("user"), case.get("seed", 1))
        result = {"variant": v["params"]["variant"], "seeded": v["params"].get("seeded")}
        if case.get("answers") is not None:
            result["submission"] = submit(qdir, v, case["answers"])
            if case.get("render"):
                result["html"] = render(qdir, v, result["submission"], "submission")
                result["question_html"] = render(qdir, v, result["submission"], "question")
        if case.get("test_type"):
            result["test"] = test_button(qdir, v, case["test_type"])
        out.append(result)
    sys.stdout.write(json.dumps(out))


if __name__ == "__main__":
    main()
