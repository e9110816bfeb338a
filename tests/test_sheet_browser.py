"""The HTML sheet in a real browser: headless Chromium lays the MathML out, on a desktop and on a phone.

Chromium is driven through its DevTools protocol over --remote-debugging-pipe with the standard
library only (the page itself has no script). The test asks for every <math> element's box, checks
that fractions are taller than the symbols in them (so MathML, not flat text, was laid out), that
the page is no wider than a phone's screen, and keeps screenshots under artifacts/sheets/.
Skipped only where Chromium is missing (CI installs it).
"""
import base64
import fcntl
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "sheets"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def _high(fd):
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class DevTools:
    """A minimal DevTools client over the pipe Chromium reads on fd 3 and writes on fd 4."""

    def __init__(self, profile):
        # the pipe ends live above fd 9, so that dup2 onto 3 and 4 in the child always makes a new, inheritable fd
        to_child, self._send = (_high(fd) for fd in os.pipe())
        self._receive, from_child = (_high(fd) for fd in os.pipe())

        def fds():
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        self.process = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                        preexec_fn=fds, close_fds=False, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child)
        os.close(from_child)
        self._buffer, self._id, self.session, self.events = b"", 0, None, []

    def _read(self, deadline):
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._receive, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, timeout=60, **params):
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._send, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
            self.events.append(answer)

    def wait_for(self, event, timeout=60):
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self.events):
            self.events.append(self._read(deadline))

    def open(self, url, width, height, mobile):
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)
        self.call("Page.enable")
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def boxes(self, selector):
        root = self.call("DOM.getDocument", depth=-1)["root"]["nodeId"]
        nodes = self.call("DOM.querySelectorAll", nodeId=root, selector=selector)["nodeIds"]
        out = []
        for node in nodes:
            quad = self.call("DOM.getBoxModel", nodeId=node)["model"]["border"]
            xs, ys = quad[0::2], quad[1::2]
            out.append((min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)))
        return out

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._send)
        os.close(self._receive)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The notes' sheet with its worked point, written by the command as a user would."""
    from gradproof.symbolic.cli import main
    folder = tmp_path_factory.mktemp("browser")
    out = folder / "notes.html"
    assert main(["sheet", "--param", "w^1_11", "--at", str(ROOT / "derivations" / "notes-point.json"),
                 "-o", str(out)]) == 0
    return out


@pytest.mark.parametrize("name, width, height, mobile", [("desktop", 1200, 900, False), ("phone", 390, 844, True)])
def test_math_is_laid_out(page, tmp_path, name, width, height, mobile):
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(page.as_uri(), width, height, mobile)
        formulas = browser.boxes("math:not(nav math)")     # the contents are hidden on one screen or the other
        fractions = browser.boxes(".display mfrac")
        symbols = browser.boxes(".display mfrac mi")
        errors = browser.boxes("merror")
        metrics = browser.call("Page.getLayoutMetrics")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = tmp_path / f"notes-{name}.png"
        browser.screenshot(shot)
    finally:
        browser.close()
    shutil.copy(shot, ARTIFACTS / shot.name)
    assert len(formulas) > 50 and not errors
    assert all(w > 0 and h > 0 for _, _, w, h in formulas), "a formula has an empty box"
    # a laid-out fraction stacks numerator over denominator: taller than one symbol
    tallest_symbol = max(h for _, _, _, h in symbols)
    assert fractions and min(h for _, _, _, h in fractions) > 1.5 * tallest_symbol
    # the page itself never scrolls sideways: wide formulas scroll inside their own box
    assert metrics["cssContentSize"]["width"] <= width + 1


def test_screenshot_shows_ink(page, tmp_path):
    """Pixels, not just boxes: the top of the page has dark text and the accent-coloured highlighted paths."""
    from matplotlib.image import imread
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(page.as_uri(), 1200, 1600, False)
        shot = tmp_path / "notes-top.png"
        browser.screenshot(shot)
    finally:
        browser.close()
    pixels = imread(shot)[..., :3]
    dark = (pixels.max(axis=2) < 0.35).mean()
    accent = ((pixels[..., 0] > 0.6) & (pixels[..., 1] < 0.45) & (pixels[..., 2] < 0.3)).mean()
    assert 0.005 < dark < 0.5 and accent > 0.0005


# ---- what a reader sees, measured in the laid-out page ----------------------------------------------
MEASURE = r"""
(() => {
  const vw = document.documentElement.clientWidth;
  const scrolls = el => { for (let a = el.parentElement; a; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX; if (o === 'auto' || o === 'scroll') return a; } return null; };
  // the x of the "=" that opens each aligned row, per display
  const spreads = [...document.querySelectorAll('.eqs')].map(eqs => {
      const xs = [...eqs.querySelectorAll('.rhs.rel')].map(cell => {
          const mo = cell.querySelector('mo'); return mo && mo.textContent === '=' ? mo.getBoundingClientRect().left : null; })
        .filter(x => x !== null);
      return xs.length > 1 ? Math.max(...xs) - Math.min(...xs) : 0; });
  const rows = [...document.querySelectorAll('.eqs .rhs.rel')].length;
  // anything past the right edge of the screen must sit inside a scroll box that itself fits
  const escaped = [];
  for (const el of document.querySelectorAll('main *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= vw + 1) continue;
    const box = scrolls(el);
    if (!box || box.getBoundingClientRect().right > vw + 1) escaped.push(el.tagName + '.' + el.className);
  }
  // what a reader would have to scroll sideways to see: a table cell or a piece of an equation past the edge
  const hidden = [...document.querySelectorAll('main td, main .display math')]
      .filter(el => el.getBoundingClientRect().right > vw + 1).length;
  const boxes = [...document.querySelectorAll('.scroll')];
  const overflowing = boxes.filter(b => b.scrollWidth > b.clientWidth + 1);
  const unmarked = overflowing.filter(b => !getComputedStyle(b).backgroundImage.includes('radial-gradient')).length;
  return {vw, spreads, rows, hidden, escaped: escaped.slice(0, 5), escapedCount: escaped.length,
          pageWidth: document.documentElement.scrollWidth, overflowing: overflowing.length, unmarked};
})()
"""


def _evaluate(browser, js):
    return browser.call("Runtime.evaluate", expression=js, returnByValue=True)["result"]["value"]


@pytest.fixture(scope="module")
def full_page(tmp_path_factory):
    """The whole notes' sheet (every weight, with the worked point), as a reader opens it."""
    from gradproof.symbolic.cli import main
    out = tmp_path_factory.mktemp("browser-full") / "notes.html"
    assert main(["sheet", "--at", str(ROOT / "derivations" / "notes-point.json"), "-o", str(out)]) == 0
    return out


@pytest.mark.parametrize("name, width, mobile", [("1280", 1280, False), ("390", 390, True)])
def test_equals_align_and_nothing_leaves_the_screen(full_page, tmp_path, name, width, mobile):
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(full_page.as_uri(), width, 900, mobile)
        seen = _evaluate(browser, MEASURE)
        browser.call("Emulation.setDeviceMetricsOverride", width=width, height=2400, deviceScaleFactor=1, mobile=mobile)
        shot = tmp_path / f"notes-full-{name}.png"
        browser.screenshot(shot)
    finally:
        browser.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTIFACTS / shot.name)
    assert seen["rows"] > 40 and seen["spreads"], seen
    assert max(seen["spreads"]) <= 2, seen["spreads"]                 # every "=" of a display at one x, within 2 px
    assert seen["escapedCount"] == 0, seen["escaped"]
    assert seen["pageWidth"] <= width + 1
    assert seen["unmarked"] == 0                                       # a box that scrolls shows that it does
    # on a phone wide tables become cards and long equations wrap at their operators: every value in view
    # (before the reflow, 111 cells and 87 pieces of equations were out of view at 390 px, in 84 scroll boxes)
    assert seen["hidden"] == 0 and seen["overflowing"] == 0, seen


def test_the_contents_link_every_section_and_stay_in_view(full_page, tmp_path):
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(full_page.as_uri(), 1280, 900, False)
        seen = _evaluate(browser, r"""(() => {
          const nav = document.querySelector('nav.toc-side');
          const targets = [...document.querySelectorAll('main h2[id], main h3[id]')].map(h => h.id);
          const links = [...nav.querySelectorAll('a')].map(a => decodeURIComponent(a.hash.slice(1)));
          window.scrollTo(0, document.body.scrollHeight / 2);
          const r = nav.getBoundingClientRect();
          return {targets, links, top: r.top, visible: r.height > 100 && getComputedStyle(nav).display !== 'none'};
        })()""")
    finally:
        browser.close()
    assert seen["links"] == seen["targets"] and len(seen["links"]) >= 20 + 6     # 20 weights and the sections
    assert seen["visible"] and abs(seen["top"]) <= 1                             # sticky: still at the top halfway down


def test_the_indicator_is_drawn_as_a_glyph(tmp_path):
    """ReLU's 1[z > 0] is the character U+1D7D9, laid out by a real font (not a fallback box) in Chromium."""
    page = ROOT / "derivations" / "chain-relu.html"
    assert "\U0001D7D9" in page.read_text(encoding="utf-8")
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(page.as_uri(), 1280, 900, False)
        browser.call("DOM.enable")
        browser.call("CSS.enable")
        root = browser.call("DOM.getDocument", depth=-1)["root"]["nodeId"]
        nodes = browser.call("DOM.querySelectorAll", nodeId=root, selector="mn")["nodeIds"]
        glyphs = []
        for node in nodes:
            html = browser.call("DOM.getOuterHTML", nodeId=node)["outerHTML"]
            if "\U0001D7D9" in html or "&#x1D7D9;" in html:
                fonts = browser.call("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]
                glyphs.append(fonts)
    finally:
        browser.close()
    assert glyphs
    for fonts in glyphs:
        assert fonts and all(f["glyphCount"] > 0 for f in fonts)
        assert not any("last resort" in f["familyName"].lower() for f in fonts)


# the contents' entry of each heading against the heading's own text as the browser holds it: the same characters
# once scripts and typographic forms are folded (so no TeX name can stand in the contents, and nothing is lost)
CONTENTS = r"""
(() => {
  const fold = s => [...s.normalize('NFKD').replace(/[\p{M}\s\/()^\u2061\u2062]/gu, '')]
      .map(c => c === '\u22c5' ? '\u00b7' : c).sort().join('');
  const nav = document.querySelector('nav.toc-side') || document.querySelector('nav.toc');
  const links = nav ? [...nav.querySelectorAll('a')] : [];
  const pairs = links.map(a => {
    const h = document.getElementById(decodeURIComponent(a.hash.slice(1)));
    // a part's title (a variant of a combined page) is named by what sets it apart from the others' titles
    return [a.textContent, h ? (h.tagName === 'H1' && h.textContent.endsWith(a.textContent) ? a.textContent
                                : h.textContent) : null]; });
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  return {links: links.length, pairs,
          missing: pairs.filter(([, h]) => h === null).map(([a]) => a),
          differ: pairs.filter(([a, h]) => h !== null && fold(a) !== fold(h)),
          duplicates: ids.filter((id, n) => ids.indexOf(id) !== n)};
})()
"""


def contents_and_ids(browser):
    """What CONTENTS finds on the open page."""
    return _evaluate(browser, CONTENTS)


def test_the_contents_read_as_the_headings_and_every_id_is_unique(tmp_path):
    """On the claims sheet (whose headings hold the most formulas) every entry of the contents is its heading's
    text, and no id repeats."""
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open((ROOT / "derivations" / "claims.html").as_uri(), 1280, 900, False)
        seen = contents_and_ids(browser)
    finally:
        browser.close()
    assert seen["links"] >= 19 + 2 and not seen["missing"] and not seen["duplicates"], seen
    assert seen["differ"] == [], seen["differ"]


# ---- the HTML's math against the PDF's ----------------------------------------------------------------------
SIDE_BY_SIDE = [r"\frac{\partial L}{\partial O_{31}} = -0.740328", r"\sigma'(z_{11}) = \sigma(z_{11}) \cdot (1 - \sigma(z_{11}))",
                r"|\partial O_n/\partial x| \le \prod_k |w_k|", r"\delta_{21} = \sum_{j=1}^{1} w^{3}_{1j}\, \delta_{3j}"]

GAPS = r"""
(() => {
  const gap = (a, b) => b.getBoundingClientRect().left - a.getBoundingClientRect().right;
  const em = parseFloat(getComputedStyle(document.querySelector('math')).fontSize);
  const rows = [...document.querySelectorAll('.row')];
  const mo = (row, text) => [...row.querySelectorAll('mo')].filter(m => m.textContent === text);
  const sign = mo(rows[0], '\u2212')[0];
  const bars = mo(rows[2], '|');
  const sum = rows[3].querySelector('munderover');
  return {em,
          afterSign: gap(sign, sign.nextElementSibling), beforeSign: gap(sign.previousElementSibling, sign),
          insideBar: gap(bars[0], bars[0].nextElementSibling),
          slash: gap(mo(rows[2], '/')[0].previousElementSibling, mo(rows[2], '/')[0]),
          limitsBelow: sum ? sum.children[1].getBoundingClientRect().top > sum.children[0].getBoundingClientRect().bottom - 1 : false,
          inScript: sum ? gap(sum.children[1].querySelector('mi'), sum.children[1].querySelector('mo')) : null,
          prime: mo(rows[1], '\u2032').length};
})()
"""


def test_html_math_is_spaced_as_the_pdf_sets_it(tmp_path):
    """Formulas in Chromium measured where TeX's spacing rules are known: a sign hugs its number (no space after the
    prefix minus, a thick space before it after '='), bars and slashes carry no space, a display sum takes its
    limits below, a prime is a full-size character. The same formulas through pdflatex are kept beside the
    screenshot under artifacts/sheets/ to compare by eye."""
    from gradproof.symbolic.sheet import html as sheet_html
    from gradproof.symbolic.sheet import tex as sheet_tex
    rows = "".join(f'<div class="row">{sheet_html._math(f, style=True)}</div>' for f in SIDE_BY_SIDE)
    page = tmp_path / "math.html"
    page.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"><style>{sheet_html.CSS}'
                    f'.row {{ margin: 0.6rem 0; }}</style></head><body><main>{rows}</main></body></html>',
                    encoding="utf-8")
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(page.as_uri(), 700, 500, False)
        seen = _evaluate(browser, GAPS)
        shot = tmp_path / "math-html.png"
        browser.screenshot(shot)
    finally:
        browser.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTIFACTS / shot.name)
    if shutil.which("pdflatex") and shutil.which("pdftoppm"):
        body = "\n".join(rf"\[{f}\]" for f in SIDE_BY_SIDE)
        data, _ = sheet_tex.pdf(sheet_tex.PREAMBLE + "\\pagestyle{empty}\\begin{document}\n" + body + "\n\\end{document}\n")
        (ARTIFACTS / "math-pdf.pdf").write_bytes(data)
        subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile",
                        str(ARTIFACTS / "math-pdf.pdf"), str(ARTIFACTS / "math-pdf")], check=False, timeout=60)
    em = seen["em"]
    assert abs(seen["afterSign"]) < 0.06 * em, seen                 # −0.740328, not − 0.740328
    assert seen["beforeSign"] > 0.2 * em, seen                      # = −0.74: the relation keeps its space
    assert abs(seen["insideBar"]) < 0.06 * em and abs(seen["slash"]) < 0.06 * em, seen
    assert seen["limitsBelow"] and seen["prime"] == 1, seen
    assert abs(seen["inScript"]) < 0.06 * em, seen                 # j=1 under the sum, unspaced as TeX sets it
