"""Homework: seeded exercise variants with answer keys, worked solutions, scores and a class report.

The model (key.py) is the assignment, its questions, variants and blanks, and the only reader and writer of
key.json; each kind of question is a row of kinds.py. ``gradproof exercise ASSIGNMENT.toml -o DIR`` reads an
assignment (assignment.py), draws one point per variant (generate.py: round numbers, poor draws rejected, no
answer a diagnosed mistake could match, see mistakes.py), and writes DIR (output.py) with pages built from
the sheets' blocks (pages.py):

    DIR/
      key.json                      the answer key (below)
      questions.html, questions.pdf every variant's questions, one variant per page
      solutions.html, solutions.pdf every variant's worked solutions, one variant per page
      variants/<id>/                one folder per variant, named by its id
        question.html  question.pdf  question.md
        solution.html  solution.pdf  solution.md

(``--no-pdf``: no PDFs.) key.json:

    {"title": "...", "seed": 2026, "network": {"layers": [4, 3, 2, 1], "activations": [...], "bias": false,
                                               "loss": "squared", "reduction": "sum", ...},
     "format": 1, "grading": {"sign": 0.5, ...},
     "variants": [
       {"variant": "v01-3fa2c1", "number": 1, "point": {"x": [...], "y": [...], "W": [...]},
        "questions": [
          {"question": "1", "kind": "expression", "param": "w^1_11", "points": 4,
           "blanks": [{"blank": "1", "answer": "LaTeX of the correct expression", "points": 4.0}]},
          {"question": "2", "kind": "gradient", "param": "w^2_11", "points": 2,
           "blanks": [{"blank": "2", "answer": -0.0123, "rtol": 0.001, "points": 2.0}]},
          {"question": "3", "kind": "step", "lr": 0.5, "params": [...], "points": 4,
           "blanks": [{"blank": "3.loss", ...}, {"blank": "3.delta_31", ...}, {"blank": "3.dL/dw^1_11", ...},
                      {"blank": "3.w^1_11", "answer": 0.512, "rtol": 2e-06, ...}]},
          {"question": "4", "kind": "paths", "param": "w^1_21", "points": 1,
           "blanks": [{"blank": "4", "answer": 2, "points": 1.0}]},
          {"question": "5", "kind": "flow", "param": "w^1_11", "path": 1, "points": 2,
           "blanks": [{"blank": "5.product", ...}, {"blank": "5.bound", ...}]}]}]}

A question's points are shared equally among its blanks (each blank's ``points``). A number is correct
when it lies within ``rtol`` of ``answer`` relative to the answer; a paths answer is a whole number, an
expression any expression equal to the derivative. A new weight's ``rtol`` is the step's tolerance of
the update eta dL/dw (the update is small next to the weight). The variant id is ``v<n>-`` and six hex
digits of a hash of the assignment and the draw: regenerating never changes a student's variant.

Grading (grading.py): ``KeyGrader(key).grade(variant, blank, answer)`` gives score, max_score, verdict,
diagnosis and Markdown feedback for one answer, the function a course platform calls;
``gradproof grade --key DIR/key.json --batch answers.csv`` grades a class (batch.py, report.py).
"""
from . import kinds  # noqa: F401,E402  (the built-in question kinds fill key.KINDS)
