"""Moodle: the exported XML read as Moodle reads it and graded as Moodle grades it.

- The cloze parser is Moodle's own: tests/platforms/moodle_cloze.php runs the regexes and
  qtype_multianswer_extract_question of question/type/multianswer/questiontype.php under php-cli, taken from
  GRADPROOF_MOODLE (a Moodle checkout) or ~/.cache/gradproof/platforms/moodle (an excerpt of that file).
  Moodle is not on a package index: without PHP or that file, the same checks run on a mirror of the parser's
  rules (below) and test_cloze_parser_is_moodles is skipped with the reason.
- The rest mirrors question/format/xml/format.php (categories, numerical answers with fraction and
  tolerance, essays) and question/type/numerical/question.php (the first answer in file order whose nominal
  tolerance holds the response wins; 10^-14 of slack as PHP's precision gives).
- PHP's own default upload_max_filesize (php-cli's ini_get, 2M where no php.ini sets it) bounds every file.
For the reference assignment, every variant: the key typed as the page asks (four significant digits, new
weights to eight decimals) scores full marks, and every diagnosed mistake typed the same way gets the share
that `gradproof grade --key`'s grader gives that typed value.
"""
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from decimal import Decimal
from fractions import Fraction
from html import escape
from pathlib import Path

import pytest

from gradproof.symbolic.exercise import key as exercise_key
from gradproof.symbolic.exercise.grading import KeyGrader
from gradproof.symbolic.export import export, items

CACHE = Path(os.environ.get("GRADPROOF_PLATFORMS", Path.home() / ".cache" / "gradproof" / "platforms"))
MOODLE = Path(os.environ.get("GRADPROOF_MOODLE", CACHE / "moodle"))
PARSER = MOODLE / "question" / "type" / "multianswer" / "questiontype.php"
HARNESS = Path(__file__).parent / "platforms" / "moodle_cloze.php"
PHP = shutil.which("php")
WHY = f"needs php-cli and Moodle's question/type/multianswer/questiontype.php (looked in {MOODLE})"


@pytest.fixture(scope="module")
def exported(reference_exercise, tmp_path_factory):
    return export(reference_exercise, "moodle", tmp_path_factory.mktemp("moodle") / "moodle")


@pytest.fixture(scope="module")
def questions(exported):
    """Every <question> of every file, as format.php reads it, in file order."""
    out = []
    for path in sorted(exported.glob("questions-*.xml")):
        for q in ET.parse(path).getroot().findall("question"):
            entry = {"file": path.name, "type": q.get("type")}
            if entry["type"] == "category":
                entry["category"] = q.findtext("category/text")
            else:
                entry.update(name=q.findtext("name/text"), idnumber=q.findtext("idnumber"),
                             text=q.findtext("questiontext/text"), defaultgrade=q.findtext("defaultgrade"),
                             answers=[(a.findtext("text"), float(a.get("fraction")) / 100,
                                       float(a.findtext("tolerance") or 0), a.findtext("feedback/text"))
                                      for a in q.findall("answer")])
            out.append(entry)
    return out


def mirror_cloze(text):
    """The cloze parser's rules, for a machine without Moodle's code: a NUMERICAL blank {N:NUMERICAL:...} ends at
    the first '}' not after a backslash; alternatives split at '~' not after a backslash; each is '=' or '%p%',
    the answer (value:tolerance) up to '#', then feedback, HTML-decoded, with only \\} and \\# unescaped."""
    import html
    import re
    blanks = []
    for m in re.finditer(r"\{(\d*):(?:NUMERICAL|NM):(.*?)(?<!\\)\}", text, re.S):
        subs = {"qtype": "numerical", "defaultmark": float(m.group(1) or 1), "answers": [], "fractions": [],
                "tolerances": [], "feedback": []}
        for alt in re.split(r"(?<!\\)~", m.group(2)):
            mark = re.match(r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%", alt)
            fraction = 1.0 if mark and mark.group(0) == "=" else float(mark.group(1)) / 100 if mark else 0.0
            answer, _, feedback = alt[mark.end() if mark else 0:].partition("#")
            value, _, tol = answer.partition(":")
            subs["answers"].append(value)
            subs["fractions"].append(fraction)
            subs["tolerances"].append(float(tol or 0))
            subs["feedback"].append(html.unescape(feedback).replace("\\}", "}").replace("\\#", "#"))
        blanks.append(subs)
    return {"defaultmark": sum(b["defaultmark"] for b in blanks), "blanks": blanks}


@pytest.fixture(scope="module")
def cloze(questions):
    """Moodle's parse of every cloze question text (its own parser where PHP and the file are here), by idnumber."""
    texts = [q for q in questions if q["type"] == "cloze"]
    if not (PHP and PARSER.is_file()):
        return {q["idnumber"]: mirror_cloze(q["text"]) for q in texts}
    done = subprocess.run([PHP, str(HARNESS), str(PARSER)], input=json.dumps([q["text"] for q in texts]),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return {q["idnumber"]: parsed for q, parsed in zip(texts, json.loads(done.stdout))}


@pytest.mark.skipif(not (PHP and PARSER.is_file()), reason=WHY)
def test_cloze_parser_is_moodles(cloze, questions):
    """The mirror and Moodle's parser read every cloze question alike (so that the mirror stands for it)."""
    for q in questions:
        if q["type"] == "cloze":
            mine, moodle = mirror_cloze(q["text"]), cloze[q["idnumber"]]
            assert mine["defaultmark"] == moodle["defaultmark"]
            for a, b in zip(mine["blanks"], moodle["blanks"]):
                assert [float(x) for x in a["answers"]] == [float(x) for x in b["answers"]]
                assert a["fractions"] == b["fractions"] and a["tolerances"] == b["tolerances"]
                assert a["feedback"] == b["feedback"]


@pytest.fixture(scope="module")
def model(reference_exercise):
    return items.load(reference_exercise)


def moodle_match(answers, typed):
    """question/type/numerical/question.php: the first answer whose nominal tolerance holds the response."""
    value = float(typed)
    for answer, fraction, tolerance, feedback in answers:
        a = float(answer)
        slack = tolerance + 1e-14 * max(abs(tolerance), abs(a), 1e-14)
        if a - slack <= value <= a + slack:
            return fraction, feedback
    return 0.0, None


def typed(blank, value):
    """A number as the page asks it: eight decimals for a new weight, else four significant digits."""
    if isinstance(blank.blank.quantity, exercise_key.NewWeight):
        return f"{value:.8f}"
    if blank.whole:
        return str(int(value))
    return format(Decimal(f"{value:#.4g}"), "f")


def test_files_import_on_a_default_site(exported):
    limit = "2M"
    if PHP:
        limit = subprocess.run([PHP, "-r", "echo ini_get('upload_max_filesize');"], capture_output=True,
                               text=True).stdout.strip() or limit
    units = {"K": 2 ** 10, "M": 2 ** 20, "G": 2 ** 30}
    most = int(limit[:-1]) * units[limit[-1].upper()] if limit[-1].upper() in units else int(limit)
    sizes = {p.name: p.stat().st_size for p in exported.glob("questions-*.xml")}
    assert sizes and max(sizes.values()) < most, (limit, sizes)


def test_one_category_per_variant(questions, model):
    variants = [i.variant for i in model.questions[0].items]
    seen, current = {}, None
    for q in questions:
        if q["type"] == "category":
            current = q["category"].rsplit("/", 1)[1]
            assert current not in seen
            seen[current] = []
        else:
            assert q["idnumber"].startswith(current + "-")
            seen[current].append(q["idnumber"])
    assert list(seen) == variants
    assert all(len(ids) == len(model.questions) for ids in seen.values())


def test_numerical_questions_score_as_the_key_grader(questions, model, reference_exercise):
    grader = KeyGrader.from_file(reference_exercise / "key.json")
    by_id = {q["idnumber"]: q for q in questions if q["type"] == "numerical"}
    checked = 0
    for bank in model.questions:
        for item in bank.items:
            if item.idnumber not in by_id:
                continue
            q, [blank] = by_id[item.idnumber], item.blanks
            assert float(q["defaultgrade"]) == item.points
            checked += _check_blank(grader, item, blank, q["answers"], item.points)
    assert checked > 30 * 2


def _check_blank(grader, item, blank, answers, points):
    """The key and every diagnosed mistake, typed as asked: Moodle's fraction is the key grader's share."""
    fraction, _ = moodle_match(answers, typed(blank, blank.answer))
    assert fraction == 1, (item.idnumber, blank.id)
    n = 1
    for m in blank.mistakes:
        text = typed(blank, m.value)
        fraction, feedback = moodle_match(answers, text)
        mine = grader.grade(item.variant, blank.id, text)
        assert fraction == pytest.approx(float(mine.exact / mine.exact_max), abs=1e-6), \
            (item.idnumber, blank.id, text, m.codes, mine.diagnosis)
        n += 1
    return n


def test_cloze_blanks_as_moodle_parses_them(cloze, model, reference_exercise):
    grader = KeyGrader.from_file(reference_exercise / "key.json")
    checked = 0
    for bank in model.questions:
        for item in bank.items:
            if item.idnumber not in cloze:
                continue
            parsed = cloze[item.idnumber]
            assert len(parsed["blanks"]) == len(item.blanks)
            # the question's mark is the sum of its blanks' weights; each weight's share of it is its blank's
            # share of the question's points (the quiz slot carries the points: the README's step)
            marks = Fraction(parsed["defaultmark"])
            for blank, sub in zip(item.blanks, parsed["blanks"]):
                assert sub["qtype"] == "numerical"
                assert Fraction(sub["defaultmark"]) / marks == \
                    Fraction(blank.points).limit_denominator(10 ** 6) / Fraction(item.points).limit_denominator(10 ** 6)
                answers = list(zip(sub["answers"], sub["fractions"], sub["tolerances"], sub["feedback"]))
                for feedback in sub["feedback"]:
                    assert "\\" not in feedback or "\\(" in feedback, feedback     # nothing left escaped
                checked += _check_blank(grader, item, blank, answers, blank.points)
                # the feedback Moodle stores shows the sentence itself
                for m in blank.mistakes:
                    fraction, feedback = moodle_match(answers, typed(blank, m.value))
                    if fraction:
                        assert feedback.startswith(escape(m.sentence, quote=False)), feedback
    assert checked > 30 * 10


def test_groups_csv_names_the_variants(exported, model):
    lines = (exported / "groups.csv").read_text().splitlines()
    assert lines[0] == "groupname,description"
    assert [line.split(",")[0] for line in lines[1:]] == [i.variant for i in model.questions[0].items]
