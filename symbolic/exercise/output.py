"""Writing an exercise folder: key.json, the combined questions and solutions, and one folder per variant.

Everything is built in a temporary folder beside DIR and renamed into place at the end, so DIR holds a
whole set of files or none (an earlier exercise folder at DIR is replaced; any other existing folder is
refused). Pages are rendered on every core (forked workers share the derivations), PDFs compiled two at a
time; pdflatex runs with SOURCE_DATE_EPOCH fixed so that the same inputs give byte-identical PDFs.
"""
import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

from gradproof.numeric import batch
from gradproof.numeric.errors import GradproofError

from ..sheet import html, md, tex
from ..sheet.document import Figure, PageBreak, Sheet
from . import key, pages
from .batch import roster_template

SOURCE_DATE = "1767225600"        # 2026-01-01: fixed dates in the PDFs (byte-identical regeneration)

_worker = {}


class Derivations:
    """derive() once per parameter for every page (the model's local derivatives cached too)."""

    def __init__(self, ctx):
        self.ctx = ctx

    def __call__(self, param):
        return self.ctx.grader.question(param).derivation


def _render(task):
    """Worker: the files of one variant's folder, {relative name: bytes}, and its two sheets' LaTeX."""
    assignment, model, derivations, total, want_tex = (_worker[k] for k in ("a", "m", "d", "t", "tex"))
    variant = task
    out, sheets = {}, {}
    for kind, build in (("question", pages.question_sheet), ("solution", pages.solution_sheet)):
        sheet = build(assignment, model, variant, derivations, total=total) if kind == "solution" else \
            build(assignment, model, variant, total=total)
        sheets[kind] = sheet
        out[f"{kind}.html"] = html.render(sheet).encode()
        text, extra = md.render(sheet)
        out[f"{kind}.md"] = text.encode()
        out.update({name: data.encode() for name, data in extra.items()})
        if want_tex:
            out[f"{kind}.tex"] = tex.render(sheet).encode()
    return variant.id, out, {k: _portable(s, None) for k, s in sheets.items()}


def _portable(sheet, model):
    """The sheet with its figures' model swapped (None to send it between processes, the model to render)."""
    blocks = [dataclasses.replace(b, model=model) if isinstance(b, Figure) else b for b in sheet.blocks]
    return Sheet(sheet.title, blocks, sheet.name)


def _pages(assignment, ctx, variants, want_tex, jobs):
    model = ctx.model
    model.local = _cached(model.local)
    _worker.update(a=assignment, m=model, d=Derivations(ctx), t=len(variants), tex=want_tex)
    group = max(1, len(variants) // (4 * (jobs or os.cpu_count() or 1)))
    out = batch.run(variants, lambda: _render, jobs=jobs, group=group)
    return [(vid, files, {k: _portable(s, model) for k, s in sheets.items()}) for vid, files, sheets in out]


def _cached(fn):
    import functools
    return fn if hasattr(fn, "cache_info") else functools.lru_cache(maxsize=None)(fn)


class PagedHtml(html.HtmlRenderer):
    def _render_PageBreak(self, block):
        return '<hr class="variant" style="break-after: page; border: 0; border-top: 3px double #d5d9e0; margin: 3rem 0">'


class PagedTex(tex.TexRenderer):
    def _render_PageBreak(self, block):
        return r"\clearpage"


def combined(title, sheets, name):
    """One sheet of every variant's blocks, each variant from a new page."""
    out = Sheet(title, [], name)
    for n, s in enumerate(sheets):
        if n:
            out.add(PageBreak())
        out.add(*s.blocks)
    return out


def paged_html(sheet):
    return html.render(sheet, PagedHtml)


def paged_tex(sheet):
    return tex.render(sheet, PagedTex)


def _pdf(text):
    data, log = tex.pdf(text)
    bad = tex.overfull(log)
    return data, bad


def write(assignment, ctx, variants, target, pdf=True, jobs=None, log=None):
    """Write the exercise folder at ``target``; returns the overfull-box warnings of the PDFs (none expected)."""
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    if target.exists() and not (target.is_dir() and (not any(target.iterdir()) or (target / "key.json").exists())):
        raise GradproofError(f"{target} exists and is not an exercise folder (no key.json): choose another -o DIR")
    if pdf:
        tex.pdflatex()
        os.environ.setdefault("SOURCE_DATE_EPOCH", SOURCE_DATE)
        os.environ.setdefault("FORCE_SOURCE_DATE", "1")
    try:
        tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp"))
    except FileNotFoundError:
        raise GradproofError(f"cannot write {str(target)!r}: folder {str(parent)!r} does not exist") from None
    except OSError as error:
        raise GradproofError(f"cannot write {str(target)!r}: {error.strerror}") from None
    warnings = []
    try:
        drawn = assignment.with_variants(variants)
        key.write(drawn, tmp / "key.json")
        (tmp / "roster.csv").write_text(roster_template(drawn), encoding="utf-8")
        rendered = _pages(assignment, ctx, variants, pdf, jobs)
        if log:
            log("pages rendered")
        for vid, files, _ in rendered:
            folder = tmp / "variants" / vid
            folder.mkdir(parents=True)
            for name, data in files.items():
                if not name.endswith(".tex"):
                    (folder / name).write_bytes(data)
        questions = combined(f"{assignment.title}: questions", [s["question"] for _, _, s in rendered], "questions")
        solutions = combined(f"{assignment.title}: solutions", [s["solution"] for _, _, s in rendered], "solutions")
        (tmp / "questions.html").write_text(paged_html(questions), encoding="utf-8")
        (tmp / "solutions.html").write_text(paged_html(solutions), encoding="utf-8")
        if pdf:
            jobs_pdf = [(tmp / "variants" / vid / f"{kind}.pdf", files[f"{kind}.tex"].decode())
                        for vid, files, _ in rendered for kind in ("question", "solution")]
            jobs_pdf += [(tmp / "questions.pdf", paged_tex(questions)), (tmp / "solutions.pdf", paged_tex(solutions))]
            # threads: each PDF is a pdflatex child of its own
            for (path, _), (data, bad) in zip(jobs_pdf, batch.run(jobs_pdf, lambda: lambda job: _pdf(job[1]),
                                                                  threads=True)):
                path.write_bytes(data)
                warnings += [f"{path.relative_to(tmp)}: {w}" for w in bad]
        _publish(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return warnings


def _publish(tmp, target):
    """Rename the finished folder into place (an earlier exercise folder is moved aside, then removed)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except OSError as error:
        if old is not None:
            os.replace(old, target)
        raise GradproofError(f"cannot write {str(target)!r}: {error.strerror}") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
