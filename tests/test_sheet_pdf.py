"""PDF sheets: every committed .tex compiles with pdflatex, with no error and no overfull box.

Skipped only where pdflatex is missing (CI installs texlive). The PDFs, and PNGs of their first pages
where pdftoppm exists, are kept under artifacts/sheets/ (git-ignored) to look at.
"""
import json
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from gradproof.numeric.point import random_point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main
from gradproof.symbolic.sheet import tex

ROOT = Path(__file__).resolve().parents[1]
DERIVATIONS = ROOT / "derivations"
ARTIFACTS = ROOT / "artifacts" / "sheets"
NAMES = [e["name"] for e in tomllib.loads((DERIVATIONS / "sheets.toml").read_text())["sheet"]]

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")


def keep(name, data):
    """Save a PDF (and a PNG of its first page) as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(data)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(ARTIFACTS / name)],
                       check=False, capture_output=True, timeout=120)


def problems(log):
    """Errors, overfull boxes and unsettled longtable columns ("Rerun LaTeX") in a pdflatex log."""
    errors = [line for line in log.splitlines() if line.startswith("! ") or "Rerun LaTeX" in line]
    return errors + tex.overfull(log)


@pytest.mark.parametrize("name", NAMES)
def test_committed_sheet_compiles_cleanly(name):
    data, log = tex.pdf((DERIVATIONS / f"{name}.tex").read_text(encoding="utf-8"))
    assert data.startswith(b"%PDF")
    assert problems(log) == []
    keep(name, data)
    if name == "notes" and shutil.which("pdftotext"):
        assert page_faults(ARTIFACTS / "notes.pdf") == []


CAPTIONS = ("The paths from", "The network", "The forward pass.", "Each row: one edge", "The weights of layer",
            "The loss and the", "The gradients.", "The new weights.")


def pages_text(path):
    """Each page's non-empty lines, as pdftotext reads them."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [[line.strip() for line in page.splitlines() if line.strip()] for page in text.split("\f")[:-1]]


def page_faults(path):
    """What a reader of the printed pages would trip over: a page (not the last) of fewer than 5 lines, a caption
    opening a page (its figure or table on the page before), a lead-in ending with ':' at a page's foot (what it
    introduces on the next)."""
    pages = pages_text(path)
    faults = []
    for n, lines in enumerate(pages, 1):
        body = [line for line in lines if not line.isdigit()]          # the page number
        if n < len(pages) and len(body) < 5:
            faults.append(f"page {n}: {len(body)} lines")
        if body and body[0].startswith(CAPTIONS):
            faults.append(f"page {n} opens with a caption: {body[0]!r}")
        following = [line for line in pages[n] if not line.isdigit()][:1] if n < len(pages) else []
        # a line ending in ':' whose sentence goes on (the next page opens in lower case) is no lead-in
        if following and body and body[-1].endswith(":") and not following[0][0].islower():
            faults.append(f"page {n} ends with a lead-in: {body[-1]!r}")
    return faults


@pytest.mark.parametrize("argv", [
    ["--net", "3-4-4-2", "--bias", "--loss", "bce", "--reg", "l1", "--lam", "0.05", "--param", "w^1_11", "b^2_3"],
    ["--net", "2-5-5-1", "--act", "relu,tanh,linear", "--param", "w^1_21", "w^3_51"],
    ["--net", "1-3-3-3-1", "--act", "softplus,leaky_relu,tanh,sigmoid", "--param", "w^1_11"],
], ids=["bce-l1", "relu-tanh-linear", "deep"])
def test_long_formulas_never_run_off_the_page(argv, tmp_path, capsys):
    """Networks whose chain rules, closed forms and local derivatives are long: pdflatex finds no overfull box."""
    spec_args = argv[:argv.index("--param")]
    out = tmp_path / "sheet.tex"
    from gradproof.symbolic.cli import build_parser, spec_from_args
    spec = spec_from_args(build_parser().parse_args(["sheet", *spec_args]))
    point = tmp_path / "point.json"
    point.write_text(json.dumps(random_point(spec, seed=7, samples=2).to_json()))
    assert main(["sheet", *argv, "--at", str(point), "-o", str(out)]) == 0
    data, log = tex.pdf(out.read_text(encoding="utf-8"))
    assert problems(log) == []
    keep(f"long-{argv[1]}", data)


def test_the_command_writes_a_pdf(tmp_path):
    out = tmp_path / "chain.pdf"
    spec = Spec(layers=(1, 1, 1, 1), bias=True, activations="relu")
    point = tmp_path / "point.json"
    point.write_text(json.dumps(random_point(spec, seed=2).to_json()))
    assert main(["sheet", "--net", "1-1-1-1", "--act", "relu", "--bias", "--at", str(point), "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF") and not list(tmp_path.glob("*.log"))


def _edges_on_paths(layers, param_layer):
    """Plain-Python count of the distinct edges on a weight's paths to L: its own edge, every edge out of its
    neuron, every edge between later layers, every edge into L."""
    later = layers[param_layer + 1:]
    count = 1 + (later[0] if later else 0)
    count += sum(a * b for a, b in zip(later, later[1:]))
    return count + layers[-1]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
@pytest.mark.parametrize("net", ["4-5-5-5-1", "8-8-8-1"])
def test_wide_networks_lose_no_row_and_overflow_no_box(net, tmp_path):
    """Every parameter's sheet: no overfull hbox or vbox, and every table of local derivatives keeps all its rows
    in the PDF's text (a table taller than a page breaks across pages instead of running off the bottom)."""
    out = tmp_path / "sheet.tex"
    assert main(["sheet", "--net", net, "--all", "-o", str(out)]) == 0
    data, log = tex.pdf(out.read_text(encoding="utf-8"))
    assert problems(log) == []
    keep(f"wide-{net}", data)
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    # each row's first cell is one fraction of partials, the expressions have none: rows = number of ∂ / 2
    tables = [chunk.split("Each row: one edge of the paths")[0]
              for chunk in text.split("The local derivatives, one per edge of the paths:")[1:]]
    layers = [int(n) for n in net.split("-")]
    spec = Spec(layers=tuple(layers))
    assert [t.count("∂") / 2 for t in tables] == [_edges_on_paths(layers, p.layer) for p in spec.parameters()]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_homework_pdfs_keep_figures_tables_and_lead_ins_whole(tmp_path):
    """The combined questions.pdf and solutions.pdf of a two-variant assignment: no nearly empty page at a variant's
    end, no caption parted from its figure or table, no lead-in parted from what it introduces."""
    assignment = (ROOT / "tests" / "test_exercise.py").read_text().split('ASSIGNMENT = """', 1)[1].split('"""', 1)[0]
    (tmp_path / "hw.toml").write_text(assignment.replace("VARIANTS", "2"))
    assert main(["exercise", str(tmp_path / "hw.toml"), "-o", str(tmp_path / "hw"), "--jobs", "1"]) == 0
    for name in ("questions", "solutions"):
        path = tmp_path / "hw" / f"{name}.pdf"
        keep(f"homework-{name}", path.read_bytes())
        assert page_faults(path) == [], name
