"""How the report writes a figure: seconds, ratios, FLOP rates, a goal's value."""


def seconds(value):
    """'12.3 ms' below a second, '4.56 s' above; '-' for no figure."""
    if value is None:
        return "-"
    return f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.2f} s"


def times(ratio, bound=False):
    """'1,580×' or '0.71×'; '≥ ' in front when the ratio is a lower bound."""
    if ratio is None:
        return "-"
    return ("≥ " if bound else "") + (f"{ratio:,.0f}×" if ratio >= 100 else f"{ratio:.2f}×")


def gflops(rate):
    return f"{rate / 1e9:.1f} GFLOP/s"


def goal(name, wanted, value, met, note=None):
    """One performance goal as the report's JSON holds it (under "targets"): what it asks, the figure, met or
    not (None: undecided, e.g. a lower bound below the goal)."""
    return {"target": name, "wanted": wanted, "value": value, "met": met, **({"note": note} if note else {})}
