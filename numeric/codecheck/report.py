"""The report of a code check as a person reads it, and as one autograder test per layer (Gradescope's
``tests`` list: name, score, max_score, status, output), ready for a platform export to wrap.

What the student's code wrote is set apart: its messages stand between quotation marks inside gradproof's
sentences (check.py quotes them), and its printed output is shown under a bar, line by line."""

VERDICT = {"correct": "is correct: every layer's gradient agrees with backprop",
           "wrong": "is wrong", "failed": "failed to run"}


def _array_line(name, value):
    if value == "pass":
        return f"{name} pass"
    if value == "unchecked":
        return f"{name} not checked"
    return f"{name} FAIL  {value['message']} (on {value['case']})"


def text(report):
    """The terminal report: verdict, per layer from the output back, the first wrong layer, the diagnosis."""
    counted = [c for c in report.cases if c["counts"]]
    sizes = ", ".join(str(n) for n in sorted({c["samples"] for c in counted}))
    lines = [f"{report.file}: {report.function} {VERDICT[report.verdict]}",
             f"  network: {report.spec!r}" + (f"; {len(counted)} cases ({sizes} samples)" if counted else "")]
    if report.failure:
        where = f" ({report.failure['where']})" if report.failure.get("where") else ""
        case = f" on {report.failure['case']}" if report.failure.get("case") else ""
        lines.append(f"  failure: {report.failure['message']}{where}{case}")
    for row in report.layers:
        parts = [_array_line("dW", row["dW"])] + ([_array_line("db", row["db"])] if "db" in row else [])
        lines.append(f"  layer {row['layer']}: " + ";  ".join(parts))
    if len(report.networks) > 1 or any(n["status"] != "pass" for n in report.networks):
        lines.append("  networks tried: " + "; ".join(_network(n) for n in report.networks))
    for note in report.notes:
        lines.append(f"  note: {note}")
    for extra in report.extras:
        lines.append(f"  {extra['check']}: {extra['status']}" + "".join(f"\n    {p}" for p in extra["problems"]))
    if report.first_wrong:
        w = report.first_wrong
        lines.append(f"  first wrong layer from the output back: layer {w['layer']}, {w['array']}: {w['message']}")
        lines.append(f"    on {w['case']}")
    smallest = dict(report.smallest_failing_case or {}, point=None)
    if report.smallest_failing_case and smallest != dict(report.first_wrong, point=None):
        s = report.smallest_failing_case
        lines.append(f"  smallest failing case: {s['case']}, layer {s['layer']} {s['array']}")
    if report.diagnosis:
        codes = ", ".join(report.diagnosis["codes"])
        lines.append(f"  diagnosis{f' [{codes}]' if codes else ''}: {report.diagnosis['sentence']}")
    if report.refused:
        lines.append(f"  refused ({len(report.refused)}):" + "".join(f"\n    - {r}" for r in report.refused))
    if report.output:
        shown = report.output[:600] + ("…" if len(report.output) > 600 else "")
        lines.append("  its output, as printed:\n    │ " + shown.replace("\n", "\n    │ "))
    return "\n".join(lines)


def _network(row):
    """'3-3-3 (assigned) pass, 4 of 4 cases right' or '3-4-3 FAILS TO RUN (exception), 0 of 2 cases right'."""
    tags = [t for t, on in (("assigned", row["assigned"]), ("not counted", not row["counts"])) if on]
    tags = f" ({', '.join(tags)})" if tags else ""
    outcome = {"pass": "pass", "fail": "FAIL"}.get(row["status"], f"FAILS TO RUN ({row['status']})")
    return f"{row['network']}{tags} {outcome}, {row['passed']} of {row['cases']} cases right"


def gradescope_tests(report):
    """One test per layer (dW and db together), output layer first, then forward and loss when checked."""
    tests = []
    why = report.failure["message"] if report.failure else ""
    for row in report.layers:
        name = f"layer {row['layer']}: dW" + (" and db" if "db" in row else "")
        if row["status"] == "pass" and not report.failure:
            tests.append({"name": name, "score": 1, "max_score": 1, "status": "passed", "output": "agrees with backprop"})
            continue
        parts = [_array_line(a, row[a]) for a in ("dW", "db") if a in row and row[a] != "pass"]
        output = "; ".join(parts) if row["status"] == "fail" else (why or "not checked")
        if report.diagnosis and report.diagnosis.get("mistakes"):
            layers = {k for m in report.diagnosis["mistakes"] for k in m["layers"]}
            if not layers or row["layer"] in layers or row["status"] == "fail":
                output += "\n" + report.diagnosis["sentence"]
        tests.append({"name": name, "score": 0, "max_score": 1, "status": "failed", "output": output})
    for extra in report.extras:
        passed = extra["status"] == "pass"
        tests.append({"name": extra["check"], "score": int(passed), "max_score": 1,
                      "status": "passed" if passed else "failed", "output": "\n".join(extra["problems"]) or "agrees"})
    return tests


__all__ = ["text", "gradescope_tests"]
