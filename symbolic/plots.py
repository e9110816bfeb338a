"""The plots of the commands (matplotlib, drawn off-screen): the loss per epoch of training, the per-layer
gradient norms of the flow analysis, a regularization sweep's losses and exact zeros, and a 1-D regression's
fitted curves.

Each takes the library's results and a path, and writes the whole file or nothing (symbolic/output.py), in
the format its suffix names (PLOT_FORMATS). matplotlib is imported when a plot is drawn, never when this
module is imported.
"""
from pathlib import Path

from gradproof.numeric.errors import GradproofError

from .output import write_output

PLOT_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def plot_format(path):
    """The format a plot's file name asks for; any other suffix is an error (checked before any work is done).

    Examples
    ========
    >>> plot_format("loss.SVG"), plot_format("runs/flow.png")
    ('svg', 'png')
    >>> plot_format("loss.jpg")
    Traceback (most recent call last):
    ...
    gradproof.numeric.errors.GradproofError: cannot plot to 'loss.jpg': the file must end in .png, .svg or .pdf
    """
    suffix = Path(path).suffix.lower()
    if suffix not in PLOT_FORMATS:
        raise GradproofError(f"cannot plot to {str(path)!r}: the file must end in "
                             f"{', '.join(list(PLOT_FORMATS)[:-1])} or {list(PLOT_FORMATS)[-1]}")
    return PLOT_FORMATS[suffix]


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(fig, path):
    """Write the figure to path in the format of its suffix (PNG at 120 dpi, SVG or PDF), then close it."""
    import io

    fmt = plot_format(path)
    buffer = io.BytesIO()
    # no creation date in SVG and PDF: the same plot gives the same bytes
    fig.savefig(buffer, format=fmt, dpi=120, metadata={"Date": None} if fmt == "svg" else
                {"CreationDate": None} if fmt == "pdf" else None)
    _pyplot().close(fig)
    write_output(buffer.getvalue(), path)


def _network(spec, room=40):
    """The network for a title: "4-3-2-1 (sigmoid)", or for a deep one "2-2-…-2-2 (41 layers, tanh)", which fits."""
    acts = spec.activations[0] if len(set(spec.activations)) == 1 else ",".join(spec.activations)
    if len(spec.layers_text) <= room:
        return f"{spec.layers_text} ({acts})"
    n = spec.layers
    return f"{n[0]}-{n[1]}-…-{n[-2]}-{n[-1]} ({len(n)} layers, {acts})"


# ---- training ------------------------------------------------------------------------------------
def plot_loss(spec, data, history, path, lr, batch_size, init):
    """L per epoch, with labelled axes (log scale when the loss spans two decades); the title gives the
    settings that shape the curve: learning rate, batch size (and whether that is GD) and initialisation."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot(range(len(history)), history, marker="." if len(history) <= 50 else None)
    # a log axis once the loss spans a decade: an early spike no longer flattens the rest of the curve
    if min(history) > 0 and max(history) / min(history) > 10:
        ax.set_yscale("log")
    ax.set_xlabel("epoch (0 = at initialisation)")
    ax.set_ylabel(f"loss L ({spec.loss}, {spec.reduction} over samples"
                  + (f", + {spec.regularization}" if spec.regularizer.present else "") + ")")
    batch = f"{batch_size}" + (" (all: GD)" if batch_size >= data.samples else " (SGD)" if batch_size == 1 else "")
    ax.set_title(f"training {_network(spec)} on {data.name}\n"
                 f"learning rate η = {lr:g}, batch size {batch}, init {init}", fontsize=10)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    save(fig, path)


# ---- gradient flow -------------------------------------------------------------------------------
def _line(ax, values, label, offset=0, **style):
    """Plot positive values on a log axis; zeros cannot sit on it, so they are drawn as triangles along the
    bottom edge (one row per line, `offset`) and the label names their layers."""
    import numpy as np

    values = np.array(values, dtype=float)
    layers = np.arange(1, len(values) + 1)
    zero = layers[values == 0]
    if zero.size:
        label += f" (0 at layer{'s' * (zero.size > 1)} {_ranges(zero)}: ▼)"
    shown = np.where(values > 0, values, np.nan)
    line, = ax.plot(layers, shown, label=label, marker="o", markersize=3.5, **style)
    if zero.size:
        ax.plot(zero, np.full(zero.size, 0.03 + 0.04 * offset), linestyle="none", marker="v",
                color=line.get_color(), transform=ax.get_xaxis_transform(), clip_on=False)
    return bool(np.any(values > 0))


def _ranges(layers):
    """'1-4, 7' for layers [1, 2, 3, 4, 7]."""
    parts, start = [], layers[0]
    for a, b in zip(layers, list(layers[1:]) + [None]):
        if b != a + 1:
            parts.append(f"{start}" if start == a else f"{start}-{a}")
            start = b
    return ", ".join(parts)


def _axes(ax, depth, drawn=True):
    ax.set_yscale("log")
    ax.set_xlim(0.5, depth + 0.5)
    if not drawn:
        ax.text(0.5, 0.5, "every gradient is exactly 0 (▼)",
                transform=ax.transAxes, ha="center", va="center", fontsize=9)
    ax.set_xlabel("layer k (1 = first after the input)")
    ax.set_xticks(range(1, depth + 1) if depth <= 20 else range(1, depth + 1, max(1, depth // 10)))
    ax.grid(True, which="major", alpha=0.3)


def plot_flow(report, path):
    """One network: ||dL/dW^k|| and ||delta_k|| per layer on a log scale; the title gives the network, the
    verdict and the ratio it rests on, in two lines so that it fits."""
    plt = _pyplot()
    n = report.spec.depth
    ratio = _ratio(report)
    title = (f"gradient flow in {_network(report.spec)}: {report.verdict}\n"
             rf"ratio $\|\delta_1\| \,/\, \|\delta_{{{n}}}\|$ = {ratio}")
    fig, ax = plt.subplots(figsize=(6.8, 4.4))
    drawn = [_line(ax, report.flow.grad_norms, r"$\|\partial L/\partial W^k\|$ (weight gradient)"),
             _line(ax, report.flow.delta_norms, r"$\|\delta_k\| = \|\partial L/\partial O_k\|$ (backpropagated signal)",
                   offset=1, linestyle="--")]
    _axes(ax, report.spec.depth, any(drawn))
    ax.set_ylabel("gradient norm (log scale)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, path)


def _ratio(report):
    return "n/a" if report.flow.ratio is None else f"{report.flow.ratio:.3g}"


def plot_compare(runs, title, path):
    """One panel per activation, one line per initialisation: the backpropagated signal ||delta_k|| per layer, the
    quantity whose first-to-last ratio gives each verdict; a shared log y axis."""
    plt = _pyplot()
    acts = list(dict.fromkeys(act for act, _, _ in runs))
    fig, axes = plt.subplots(1, len(acts), figsize=(4.6 * len(acts), 4.4), sharey=True, squeeze=False)
    styles = ["-", "--", "-.", ":"]
    for ax, act in zip(axes[0], acts):
        mine = [(name, r) for a, name, r in runs if a == act]
        # the verdict rests on ||delta_1|| / ||delta_n||: the lines are the ||delta_k|| it compares
        drawn = [_line(ax, report.flow.delta_norms, f"{name or 'POINT'}: {report.verdict}, ratio {_ratio(report)}",
                       offset=n, linestyle=styles[n % 4]) for n, (name, report) in enumerate(mine)]
        _axes(ax, mine[0][1].spec.depth, any(drawn))
        ax.set_title(act)
        ax.legend(fontsize=8, title="initialisation: verdict" if mine[0][0] else "weights: verdict", title_fontsize=8)
    axes[0][0].set_ylabel(r"$\|\delta_k\| = \|\partial L/\partial O_k\|$ (log scale)")
    fig.suptitle(title)
    fig.tight_layout()
    save(fig, path)


# ---- regularization sweep ------------------------------------------------------------------------
def by_depth(result):
    """A sweep's settings (its JSON form), grouped by network (depth and widths) in the order they come."""
    groups = {}
    for row in result["settings"]:
        groups.setdefault((row["depth"], tuple(row["layers"])), []).append(row)
    return groups


def _capacity_name(depth, layers):
    return f"depth {depth} ({'-'.join(map(str, layers))})"


def _lambda_axis(ax, lams):
    """lambda = 0 has no place on a log axis; a symmetric-log axis, linear below the smallest positive lambda,
    puts it at the left edge."""
    positive = [v for v in lams if v > 0]
    if positive and len(positive) < len(lams):
        ax.set_xscale("symlog", linthresh=min(positive), linscale=0.5)
    elif positive:
        ax.set_xscale("log")
    ax.set_xticks(lams)
    ax.set_xticklabels([f"{v:g}" for v in lams])
    ax.set_xlabel(f"λ ({'log scale, 0 at the left' if 0 in lams else 'log scale'})")
    ax.grid(True, alpha=0.3)


def plot_sweep(result, spec, path):
    """Left: train (dashed) and validation (solid) loss against lambda, mean over the seeds with error bars of
    one standard deviation across them, the best lambda of each network ringed; right, where some weight is exactly
    0 (L1), the number of such weights."""
    import numpy as np

    plt = _pyplot()
    lams = sorted(set(result["lambdas"]))
    groups = by_depth(result)
    # a panel of exact zeros only where there are any (L2 shrinks weights but sets none to 0)
    sparse = any(r["zero_weights"] for r in result["settings"])
    wide = len(groups) > 1                    # the legend of several networks goes below the axes, off the curves
    fig, axes = plt.subplots(1, 2 if sparse else 1, figsize=(11.5 if sparse else 7.0, 5.6 if wide else 4.6),
                             squeeze=False)
    left, right = axes[0][0], axes[0][1] if sparse else None
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    seeds = len(result["settings"][0].get("seeds", [0]))
    for n, ((depth, layers), group) in enumerate(groups.items()):
        group = sorted(group, key=lambda r: r["lambda"])
        x = [r["lambda"] for r in group]
        colour = colours[n % len(colours)]
        name = _capacity_name(depth, layers)
        spread = lambda key, group=group: [r.get(f"{key}_std", 0.0) for r in group]
        left.errorbar(x, [r["validation_loss"] for r in group], yerr=spread("validation_loss"), fmt="-o", color=colour,
                      markersize=4, capsize=3, label=f"{name}: validation")
        left.errorbar(x, [r["train_loss"] for r in group], yerr=spread("train_loss"), fmt="--s", color=colour,
                      markersize=3.5, capsize=3, alpha=0.8, label=f"{name}: train")
        best = min(group, key=lambda r: r["validation_loss"])
        left.plot([best["lambda"]], [best["validation_loss"]], "o", markersize=11, markerfacecolor="none",
                  markeredgecolor=colour, markeredgewidth=1.5)
        if not sparse:
            continue
        zeros = [r.get("zero_weights_per_seed", [r["zero_weights"]]) for r in group]
        right.errorbar(x, [r["zero_weights"] for r in group],
                       yerr=[float(np.std(z, ddof=1)) if len(z) > 1 else 0.0 for z in zeros], fmt="-o", color=colour,
                       markersize=4, capsize=3, label=f"{name}, {group[0]['weights']} weights")
    for ax in axes[0]:
        _lambda_axis(ax, lams)
    losses = [r[k] for r in result["settings"] for k in ("train_loss", "validation_loss")]
    if min(losses) > 0 and max(losses) / min(losses) > 30:
        left.set_yscale("log")
    left.set_ylabel(f"{spec.loss} loss, mean per sample")
    over = f"mean of {seeds} seeds ± 1 s.d.; " if seeds > 1 else ""
    none = "" if sparse else "; no weight exactly 0 at any λ"
    left.set_title(f"training (dashed) and validation (solid) loss\n{over}ring: lowest validation loss{none}",
                   fontsize=10)
    if wide:
        left.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    else:
        left.legend(fontsize=7)
    if sparse:
        _sparsity(right, result, seeds, wide)
    fig.suptitle(f"{result['regularization'].upper()} sweep on {result['data']} "
                 f"({result['split']['train']} train / {result['split']['validation']} validation samples)")
    fig.tight_layout()
    save(fig, path)


def _sparsity(right, result, seeds, wide):
    right.set_ylabel("weights exactly 0" + (f" (mean of {seeds} seeds ± 1 s.d.)" if seeds > 1 else ""))
    right.set_title("sparsity: weights exactly 0")
    right.yaxis.get_major_locator().set_params(integer=True)
    right.set_ylim(-0.5, max(r["weights"] for r in result["settings"]) + 0.5)     # the whole range: 0 to every weight
    if wide:
        right.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    else:
        right.legend(fontsize=7)


def _mathtext(name):
    """A column name with a subscript (x_1) as mathtext, so that it is set as x₁ rather than with its underscore.

    Examples
    ========
    >>> _mathtext("x_1"), _mathtext("price")
    ('$x_{1}$', 'price')
    """
    import re
    match = re.fullmatch(r"([A-Za-z]+)_\{?([A-Za-z0-9]+)\}?", name)
    return f"${match.group(1)}_{{{match.group(2)}}}$" if match else name


def plot_fits(curves, data, validation, title, path):
    """A 1-D regression's fitted curves over its data: curves is [(label, x, y)], drawn over the training samples
    (dots) and the validation samples (faint)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    ax.plot(validation.x[:, 0], validation.y[:, 0], ".", color="0.8", markersize=3, label="validation samples")
    styles = ("-", "-", "--")
    colours = ("tab:red", "tab:green", "tab:blue")
    for n, (label, x, y) in enumerate(curves):
        ax.plot(x, y, styles[n % 3], color=colours[n % 3], linewidth=2, label=label)
    ax.plot(data.x[:, 0], data.y[:, 0], "o", color="black", markersize=6, label=f"training samples ({data.samples})")
    ax.set_xlabel(_mathtext(data.columns[0] if data.columns else "x"))
    ax.set_ylabel(_mathtext(data.columns[-1] if data.columns else "y"))
    low, high = float(validation.y.min()), float(validation.y.max())
    ax.set_ylim(low - 0.5 * (high - low), high + 0.5 * (high - low))
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    save(fig, path)
