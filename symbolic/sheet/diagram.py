"""The network as a picture: TikZ for LaTeX, SVG for HTML and Markdown, one geometry for both.

Layers are columns from the input x (left) to the output and the loss L (right); neuron j of layer
k sits in column k, row j, each column centred. The chosen parameter's paths to L are drawn in the
accent colour: its own edge (a weight) or its neuron (a bias), every edge out of O_kj, and every edge
of the later layers, which all lie on some path because the layers are fully connected.
"""
from dataclasses import dataclass
from xml.sax.saxutils import escape

from ..printing import latex

MAX_DRAWN = 12           # neurons in a column; wider networks are not drawn
ACCENT = "#c2410c"
MUTED = "#b8bec8"
INK = "#1f2933"

_SUB = str.maketrans("0123456789,", "₀₁₂₃₄₅₆₇₈₉‚")
_SUP = str.maketrans("0123456789,", "⁰¹²³⁴⁵⁶⁷⁸⁹'")


def drawable(spec):
    """Whether every layer is narrow enough to draw."""
    return max(spec.layers) <= MAX_DRAWN


@dataclass(frozen=True)
class Geometry:
    """Node centres in abstract units (one unit between neighbours in a column) and the edges to draw."""

    nodes: dict              # (k, j) -> (x, y); ("L",) -> (x, y)
    edges: list              # [((k-1, i), (k, j), highlighted)], then the edges into L
    marked: set              # nodes drawn in the accent colour
    param: object
    rows: int


def geometry(spec, param=None, gap=2.2):
    """Where each neuron goes and which edges lie on the parameter's paths to L."""
    n = spec.layers
    rows = max(n)
    nodes = {}
    for k, count in enumerate(n):
        for j in range(1, count + 1):
            nodes[(k, j)] = (k * gap, (rows - count) / 2 + (j - 1))
    out = len(n) - 1
    nodes[("L",)] = (len(n) * gap - gap / 2, (rows - 1) / 2)
    on_path = lambda k: param is not None and k > param.layer
    edges = []
    for k in range(1, len(n)):
        for i in range(1, n[k - 1] + 1):
            for j in range(1, n[k] + 1):
                own = param is not None and param.is_weight and (param.layer, param.i, param.j) == (k, i, j)
                after = on_path(k) and (k > param.layer + 1 or i == param.j)
                edges.append(((k - 1, i), (k, j), own or after))
    for j in range(1, n[out] + 1):
        edges.append(((out, j), ("L",), param is not None))
    marked = set()
    if param is not None:
        marked = {(param.layer, param.j)} | {(k, j) for k in range(param.layer + 1, len(n))
                                             for j in range(1, n[k] + 1)} | {("L",)}
        if spec.activation(out).couples:           # z_nj reaches L through every output O_nm
            marked |= {(out, j) for j in range(1, n[out] + 1)}
    return Geometry(nodes, edges, marked, param, rows)


def _label(model, node):
    return "L" if node == ("L",) else latex(model.O[node[0]][node[1]])


def _scripted(name):
    """A node's name for SVG text: the subscript as a smaller, lowered run of the same font (the Unicode subscript
    digits are a third of the letter's size, unreadable once a phone shrinks the picture)."""
    head, _, sub = name.partition("_")
    if not sub:
        return escape(head)
    return (f'{escape(head)}<tspan font-size="72%" dy="0.3em" font-style="normal">{escape(sub.strip("{}"))}'
            '</tspan>')


def _unicode(name):
    """w^1_11 -> w¹₁₁, O_31 -> O₃₁: labels SVG can show without markup."""
    letter, _, rest = name.partition("^")
    if rest:
        sup, _, sub = rest.partition("_")
        return letter + sup.translate(_SUP) + sub.strip("{}").translate(_SUB)
    letter, _, sub = name.partition("_")
    return letter + sub.strip("{}").translate(_SUB)


_XCM, _YCM = 1.05, 0.95        # cm per unit of the geometry, across and down, at scale 1


def _tikz_frame(g, scale):
    """Node centres in cm (y downwards), the circles' radius, and the bounding box every picture of a scale shares."""
    at = {node: (x * _XCM * scale, y * _YCM * scale) for node, (x, y) in g.nodes.items()}
    r = 0.4 * scale
    xs, ys = [x for x, _ in at.values()], [y for _, y in at.values()]
    box = (min(xs) - r - 0.05, min(ys) - r - 0.05, max(xs) + r + 0.05, max(ys) + r + 0.05)
    return at, r, box


def _tikz_open(scale, box):
    size = "small" if scale >= 0.9 else "scriptsize"
    return [rf"\begin{{tikzpicture}}[x=1cm, y=-1cm, font=\{size},",
            r"  neuron/.style={circle, draw=muted, fill=white, line width=0.5pt, minimum size=%.2fcm, inner sep=0pt},"
            % (0.8 * scale),
            r"  hot/.style={neuron, draw=accent, line width=1.1pt},",
            r"  edge/.style={draw=muted, line width=0.45pt}, hotedge/.style={draw=accent, line width=1.1pt}]",
            r"  \path[use as bounding box] (%.2f,%.2f) rectangle (%.2f,%.2f);" % box]


def _tikz_edge(at, r, frm, to, style, label=""):
    """An edge from circle border to circle border, computed here: TikZ's anchor search is what makes big pictures slow."""
    (x1, y1), (x2, y2) = at[frm], at[to]
    length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
    dx, dy = (x2 - x1) / length * r, (y2 - y1) / length * r
    return rf"  \draw[{style}] ({x1 + dx:.3f},{y1 + dy:.3f}) -- ({x2 - dx:.3f},{y2 - dy:.3f}){label};"


def _tikz_node(model, at, node, style):
    x, y = at[node]
    return rf"  \node[{style}] at ({x:.3f},{y:.3f}) {{${_label(model, node)}$}};"


def tikz_network(model, scale=1.0):
    """The plain network (muted), as a tikzpicture: drawn once per sheet into a box that :func:`tikz` overlays."""
    g = geometry(model.spec)
    at, r, box = _tikz_frame(g, scale)
    lines = _tikz_open(scale, box)
    lines += [_tikz_edge(at, r, frm, to, "edge") for frm, to, _ in g.edges]
    lines += [_tikz_node(model, at, node, "neuron") for node in g.nodes]
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def tikz(model, param=None, scale=1.0, network_box=None):
    """A tikzpicture of the network with the parameter's paths highlighted.

    With ``network_box`` (a LaTeX box holding :func:`tikz_network` at the same scale) only the highlighted
    edges and nodes are drawn, over that box: a sheet with a hundred small pictures then draws the
    whole network once, not a hundred times.
    """
    g = geometry(model.spec, param)
    at, r, box = _tikz_frame(g, scale)
    lines = _tikz_open(scale, box)
    if network_box is not None:
        lines.append(rf"  \node[anchor=north west, inner sep=0pt, outer sep=0pt] at ({box[0]:.2f},{box[1]:.2f}) "
                     rf"{{\usebox{{{network_box}}}}};")
    for frm, to, hot in sorted(g.edges, key=lambda e: e[2]):       # highlighted edges on top
        if network_box is not None and not hot:
            continue
        label = ""
        if param is not None and param.is_weight and (frm, to) == ((param.layer - 1, param.i), (param.layer, param.j)):
            label = rf" node[pos=0.5, fill=white, inner sep=1pt, text=accent] {{${latex(model.symbols[param])}$}}"
        lines.append(_tikz_edge(at, r, frm, to, "hotedge" if hot else "edge", label))
    for node in g.nodes:
        if node in g.marked or network_box is None:
            lines.append(_tikz_node(model, at, node, "hot" if node in g.marked else "neuron"))
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def svg(model, param=None, unit=64, title=None):
    """An SVG of the network (no scripts, no external references) with the parameter's paths highlighted."""
    g = geometry(model.spec, param)
    r = unit * 0.3
    pad = unit * 0.55
    xs = [x for x, _ in g.nodes.values()]
    w = (max(xs) + 0.0) * unit + 2 * pad
    h = (g.rows - 1) * unit + 2 * pad
    at = lambda node: (pad + g.nodes[node][0] * unit, pad + g.nodes[node][1] * unit)
    label = title or ("the network" if param is None else f"the paths of {param.name} to L")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" width="{w:.0f}" height="{h:.0f}" '
           f'role="img" aria-label="{escape(label)}" class="network">',
           f'<title>{escape(label)}</title>']
    for frm, to, hot in sorted(g.edges, key=lambda e: e[2]):
        (x1, y1), (x2, y2) = at(frm), at(to)
        colour, stroke = (ACCENT, 2.6) if hot else (MUTED, 1.1)
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" stroke-width="{stroke}"/>')
        if param is not None and param.is_weight and (frm, to) == ((param.layer - 1, param.i), (param.layer, param.j)):
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2
            out.append(f'<rect x="{mx - 17:.1f}" y="{my - 9:.1f}" width="34" height="16" rx="3" fill="#fff"/>')
            out.append(f'<text x="{mx:.1f}" y="{my + 4:.1f}" text-anchor="middle" font-size="12" '
                       f'font-family="serif" font-style="italic" fill="{ACCENT}">{escape(_unicode(param.name))}</text>')
    for node in g.nodes:
        x, y = at(node)
        hot = node in g.marked
        colour, stroke = (ACCENT, 2.6) if hot else (MUTED, 1.2)
        text = "L" if node == ("L",) else str(model.O[node[0]][node[1]])
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="#fff" stroke="{colour}" stroke-width="{stroke}"/>')
        out.append(f'<text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle" font-size="17" font-family="serif" '
                   f'font-style="italic" fill="{INK}">{_scripted(text)}</text>')
    out.append("</svg>")
    return "\n".join(out)
