"""The course notes' claims, measured, and the notes' slips, corrected and proven.

measure.py holds the quantitative claims (each with the command that measures it, the figures
measured and a verdict); slips.py the places where the notes' mathematics is wrong as written (each
with the correct form, derived and proven); sheet.py lays both out as a document.Sheet that the
sheet renderers print (``gradproof sheet --claims``, and derivations/claims.* through
``gradproof sheet --regenerate derivations``).

Every figure in the sheet is deterministic (fixed seeds, fixed data), so the sheet regenerates byte for
byte; wall-clock figures (GD, SGD and mini-batch per second) are printed by the command instead.
"""
