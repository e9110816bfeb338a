"""The class report: one self-contained HTML page (the sheets' renderer, the histogram inline as PNG).

Per question: how many answered, the share correct, the counts of each diagnosis, the most frequent
wrong answers with how each was read and its diagnosis; for the class: a histogram of the students'
scores (matplotlib) and the students whose answers could not be read.
"""
import base64
import collections
import io
from dataclasses import dataclass
from html import escape

from gradproof.numeric.errors import GradproofError

from ..printing import latex, symbol
from ..sheet import html
from ..sheet.document import Code, Heading, Math, Paragraph, Sheet, Table, parts
from .assignment import SENTENCES
from .key import parse_blank_id

TOP_WRONG = 5


@dataclass(frozen=True)
class Picture:
    """A picture given as PNG bytes, set inline in the page."""

    png: bytes
    alt: str
    caption: tuple = ()


class ReportHtml(html.HtmlRenderer):
    """The sheets' HTML renderer, which also sets a Picture inline (a data: URL: the page stays one file)."""

    def _render_Picture(self, block):
        data = base64.b64encode(block.png).decode("ascii")
        caption = f"<figcaption>{html.inline(block.caption)}</figcaption>" if block.caption else ""
        return (f'<figure class="plot"><img alt="{escape(block.alt)}" src="data:image/png;base64,{data}" '
                f'style="max-width:100%;height:auto">{caption}</figure>')


def histogram(percentages):
    """A PNG histogram of the students' scores in per cent (no timestamp or version in the file)."""
    from ..plots import _pyplot
    plt = _pyplot()
    # small in inches, so that the labels stay legible when a phone shrinks the picture to its width
    fig, ax = plt.subplots(figsize=(4.2, 2.3))
    ax.hist(percentages, bins=[i * 10 for i in range(11)], color="#c2410c", edgecolor="white")
    ax.set_xlabel("score (% of the points of the variant)", fontsize=11)
    ax.set_ylabel("students", fontsize=11)
    ax.tick_params(labelsize=10)
    ax.set_xlim(0, 100)
    ax.yaxis.get_major_locator().set_params(integer=True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _reading(r):
    """How an answer was read, as inline content: the grader's LaTeX when it converts, else the text."""
    if r.parsed_latex:
        try:
            html._math(r.parsed_latex)
            return parts(Math(r.parsed_latex))
        except Exception:  # noqa: BLE001,S110  an echo latex2mathml cannot set is shown as text
            pass
    return parts(r.parsed_latex or "")


def _question_of(blank):
    try:
        return parse_blank_id(blank)[0]
    except GradproofError:
        return None


def build(grader, results, students, title=None):
    """The report as a Sheet (render with :func:`render`), from the results and totals of batch.score."""
    title = title or f"{grader.assignment.title or 'Exercise'}: class report"
    sheet = Sheet(title, [Heading(1, parts(title))], "report")
    # an empty answer is no answer, not an unreadable one
    unreadable = [r for r in results if not r.gradable and not r.empty]
    empty = sum(r.empty for r in results)
    counted = [r for r in results if r.counted]
    gradable = [r for r in counted if r.gradable]
    correct = sum(r.verdict == "correct" for r in gradable)
    sheet.add(Paragraph(parts(
        f"{len(students)} students, {len(results)} answers ({len(counted)} counted): {correct} correct, "
        f"{len(gradable) - correct} incorrect, {len(unreadable)} invalid"
        + (f", {empty} left blank" if empty else "") + f". {grader.grading.summary()}")))
    if students:
        shares = [100 * t["score"] / t["possible"] if t["possible"] else 0.0 for t in students]
        mean = sum(shares) / len(shares)
        sheet.add(Heading(2, parts("Scores"), "scores"))
        sheet.add(Picture(histogram(shares), "histogram of the students' scores",
                          parts(f"Each student's score as a share of their variant's points; mean {mean:.1f}%.")))
        questions = [f"q{q.number}" for q in grader.assignment.questions]
        body = tuple(tuple(parts(str(t[c]) if not isinstance(t[c], float) else f"{t[c]:g}")
                           for c in ("id", "variant", "score", "possible", *questions)) for t in students)
        sheet.add(Table(tuple(parts(c) for c in ("student", "variant", "score", "possible", *questions)), body,
                        "ll" + "r" * (2 + len(questions)), parts("Each student's score, as in totals.csv.")))
    for q in grader.assignment.questions:
        _question(sheet, q, [r for r in counted if _question_of(r.question) == q.number],
                  len(grader.assignment.variants[0].blanks[q.number]))
    sheet.add(Heading(2, parts("Unreadable answers"), "unreadable"))
    if not unreadable:
        sheet.add(Paragraph(parts("Every answer could be read.")))
    else:
        rows = tuple((parts(r.id), parts(r.variant), parts(Code(r.question)),
                      parts(r.feedback.replace("**Invalid**: ", "").replace("**", "").replace("\\", "")))
                     for r in unreadable)
        sheet.add(Table((parts("student"), parts("variant"), parts("blank"), parts("why")), rows, "llll"))
    return sheet


def _question(sheet, q, rows, blanks):
    what = (" ", Math(latex(symbol(q.param)))) if q.param is not None else ()
    points = f"{q.points:g} point{'s' if q.points != 1 else ''}"
    sheet.add(Heading(2, parts(f"Question {q.number}: {q.kind.name}", *what, f" ({points})"), f"q{q.number}"))
    gradable = [r for r in rows if r.gradable]
    if not gradable:
        sheet.add(Paragraph(parts("No gradable answers.")))
        return
    correct = sum(r.verdict == "correct" for r in gradable)
    people = len({r.id for r in rows})
    sheet.add(Paragraph(parts(f"{people} students answered ({len(rows)} answers to its {blanks} "
                              f"blank{'s' if blanks != 1 else ''}); {100 * correct / len(gradable):.0f}% of "
                              f"the gradable answers are correct ({correct} of {len(gradable)}).")))
    wrong = [r for r in gradable if r.verdict == "incorrect"]
    if not wrong:
        return
    counts = collections.Counter(";".join(r.diagnosis) or "" for r in wrong)
    body = tuple((parts(code.replace(";", ", ") or "none"),
                  parts(" ".join(SENTENCES[c].split(":")[0] + "." for c in code.split(";")) if code
                        else "not one of the known mistakes"),
                  parts(str(n))) for code, n in counts.most_common())
    sheet.add(Table((parts("diagnosis"), parts("meaning"), parts("answers")), body, "llr",
                    parts("The diagnoses of the incorrect answers.")))
    readings = collections.Counter(_wrong_key(r) for r in wrong)
    examples = {}
    for r in wrong:
        examples.setdefault(_wrong_key(r), r)
    top = readings.most_common(TOP_WRONG)
    body = tuple((parts(Code(blank)), _shown(examples[(blank, latex, code)], n), parts(code.replace(";", ", ") or "none"),
                  parts(str(n))) for (blank, latex, code), n in top)
    sheet.add(Table((parts("blank"), parts("answer, as read"), parts("diagnosis"), parts("answers")), body, "llll",
                    parts("The most frequent wrong answers.")))


def _wrong_key(r):
    """What makes two wrong answers 'the same': an expression as read; a number by its mistake alone (every variant
    has its own numbers, so equal values would almost never repeat)."""
    return r.question, "" if r.value is not None else r.parsed_latex or "", ";".join(r.diagnosis)


def _shown(r, n):
    if r.value is not None and n > 1:
        return parts("numbers, e.g. ", *_reading(r))
    return _reading(r)


def render(sheet):
    return html.render(sheet, ReportHtml)

