"""The homework pages and the class report in headless Chromium (the DevTools client of test_sheet_browser):
formulas laid out as MathML with no error, the histogram picture decoded and shown, no sideways scrolling on
a phone. Screenshots are kept under artifacts/exercise/. Skipped only where Chromium is missing."""
import csv
import importlib.util
import json
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent / "artifacts" / "exercise"
_spec = importlib.util.spec_from_file_location("sheet_browser", HERE / "test_sheet_browser.py")
browser_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(browser_module)
DevTools, CHROMIUM = browser_module.DevTools, browser_module.CHROMIUM

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

ASSIGNMENT = (HERE / "test_exercise.py").read_text().split('ASSIGNMENT = """', 1)[1].split('"""', 1)[0]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    from gradproof.symbolic.cli import main
    folder = tmp_path_factory.mktemp("exercise-browser")
    (folder / "hw.toml").write_text(ASSIGNMENT.replace("VARIANTS", "2"))
    assert main(["exercise", str(folder / "hw.toml"), "-o", str(folder / "hw"), "--no-pdf", "--jobs", "1"]) == 0
    key = json.loads((folder / "hw" / "key.json").read_text())
    rows = []
    for n, v in enumerate(key["variants"]):
        for q in v["questions"]:
            for b in q["blanks"]:
                a = b["answer"]
                answer = a if isinstance(a, str) else repr(-a if n else a)
                rows.append((f"student{n}", v["variant"], b["blank"], answer))
    rows.append(("student0", key["variants"][0]["variant"], "2", r"\frac{"))
    # a third student: the first variant's gradient with its sign wrong (as student1's on the second), and no answer
    first_variant = key["variants"][0]
    gradient = next(b["answer"] for q in first_variant["questions"] for b in q["blanks"] if b["blank"] == "2")
    rows += [("student2", first_variant["variant"], "2", repr(-gradient)), ("student2", first_variant["variant"], "4", "")]
    with open(folder / "answers.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "variant", "question", "answer"])
        writer.writerows(rows)
    assert main(["grade", "--key", str(folder / "hw" / "key.json"), "--batch", str(folder / "answers.csv"),
                 "-o", str(folder / "scores.csv"), "--report", str(folder / "report.html"), "--jobs", "1"]) == 0
    first = key["variants"][0]["variant"]
    return {"report": folder / "report.html", "question": folder / "hw" / "variants" / first / "question.html",
            "solution": folder / "hw" / "variants" / first / "solution.html",
            "solutions": folder / "hw" / "solutions.html", "variants": [v["variant"] for v in key["variants"]]}


@pytest.mark.parametrize("name", ["report", "question", "solution"])
@pytest.mark.parametrize("width, height, mobile", [(1200, 1600, False), (390, 844, True)])
def test_page_in_chromium(pages, tmp_path, name, width, height, mobile):
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(pages[name].as_uri(), width, height, mobile)
        formulas = browser.boxes("math:not(.label math):not(.cards thead math)")   # labels or header: one shows
        errors = browser.boxes("merror")
        pictures = browser.boxes("figure.plot img")
        metrics = browser.call("Page.getLayoutMetrics")
        shot = tmp_path / f"{name}-{width}.png"
        browser.screenshot(shot)
    finally:
        browser.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTIFACTS / shot.name)
    assert formulas and not errors
    assert all(w > 0 and h > 0 for _, _, w, h in formulas)
    if name == "report":
        # the histogram is an inline PNG the browser decoded: a box of the picture's proportions
        assert len(pictures) == 1 and pictures[0][2] > 100 and pictures[0][3] > 50
    assert metrics["cssContentSize"]["width"] <= width + 1


@pytest.mark.parametrize("name", ["solution", "report", "solutions"])
def test_every_value_in_view_on_a_phone_and_the_contents_lead_to_unique_ids(pages, tmp_path, name):
    """At 390 px no table cell and no piece of an equation lies past the screen's edge (before the reflow: 21 cells
    and 8 equations of a solution page, 15 cells of the class report); every id is unique, every contents entry
    reads as its heading, and the combined page's contents name each variant."""
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(pages[name].as_uri(), 390, 844, True)
        seen = browser_module._evaluate(browser, browser_module.MEASURE)
        contents = browser_module.contents_and_ids(browser)
        browser.call("Emulation.setDeviceMetricsOverride", width=390, height=2400, deviceScaleFactor=1, mobile=True)
        shot = tmp_path / f"{name}-390-full.png"
        browser.screenshot(shot)
    finally:
        browser.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTIFACTS / shot.name)
    assert seen["hidden"] == 0 and seen["pageWidth"] <= 391, seen
    assert not contents["duplicates"] and not contents["missing"] and contents["differ"] == [], contents
    if name == "solutions":
        entries = [a for a, _ in contents["pairs"]]
        assert [e for e in entries if e in pages["variants"] or e.startswith(tuple(pages["variants"]))]
        assert all(any(v in e for e in entries) for v in pages["variants"]), entries


def test_the_report_counts_a_mistake_on_numbers_across_variants_and_keeps_empty_answers_apart(pages):
    """Two students' gradients with the wrong sign, on two variants (two different numbers), are one row of the
    most frequent wrong answers counted twice; a blank left empty is counted as such, not listed as unreadable."""
    import re
    page = pages["report"].read_text(encoding="utf-8")
    q2 = page.split('id="q2"', 1)[1].split("<h2", 1)[0]
    rows = [re.sub(r"<span class=\"label\">.*?</span>", "", r) for r in re.findall(r"<tr>(.*?)</tr>", q2.split(
        "most frequent wrong answers", 1)[0].rsplit("<table", 1)[1])]
    cells = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in rows]
    assert any(c[0] == "2" and c[1].startswith("numbers, e.g.") and c[2] == "sign" and c[3] == "2" for c in cells if c), cells
    assert "1 left blank" in page
    unreadable = page.split('id="unreadable"', 1)[1]
    assert "student2" not in unreadable
