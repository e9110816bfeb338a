"""The matrix form for a reader: the shapes table and each layer's equations with every shape, as text or JSON,
each with its entrywise proof."""
from gradproof.numeric.layouts import layout as layout_row

from .env import Env
from .equations import equations
from .expr import Leaf, shape_text
from .proof import prove


def shape_env(spec):
    """An environment for shapes only: a batch size that is no layer's width, printed as m."""
    return Env(spec, samples=max(spec.layers) + 1)


def shapes(spec):
    """[(matrix, shape, what it holds)] for the shapes table."""
    env, rows = shape_env(spec), []
    for k in range(spec.depth + 1):
        name = Leaf("X") if k == 0 else Leaf("O", k)
        rows.append((name, shape_text(name.shape(env)), "the inputs, one sample each" if k == 0 else
                     f"outputs of layer {k}" + (" (Ŷ)" if k == spec.depth else "")))
        if k:
            rows.append((Leaf("Z", k), shape_text(Leaf("Z", k).shape(env)), f"pre-activations of layer {k}"))
            rows.append((Leaf("W", k), shape_text(Leaf("W", k).shape(env)),
                         f"weights into layer {k}: entry ({'i, j' if env.layout.samples_in_rows else 'j, i'}) is w^{k}_ij"))
            if spec.bias:
                rows.append((Leaf("b", k), shape_text(Leaf("b", k).shape(env)), f"biases of layer {k}"))
    rows.append((Leaf("Y"), shape_text(Leaf("Y").shape(env)), "targets"))
    if spec.bias:
        rows.append((Leaf("ones"), "m×1", "ones, one per sample"))
    return rows


def to_json(spec, proofs=None):
    env = shape_env(spec)
    proofs = proofs if proofs is not None else prove(spec)
    by_equation = {str(p.equation): p for p in proofs}
    layers = []
    for k in range(1, spec.depth + 1):
        layers.append({"layer": k, "forward": [], "backward": []})
    for e in equations(spec):
        entry = e.to_json(env)
        entry["proof"] = by_equation[str(e)].to_json()
        layers[e.layer - 1][e.part].append(entry)
    return {"layout": spec.layout, "layout_title": layout_row(spec.layout).title, "samples": "m",
            "shapes": [{"matrix": leaf.text(), "latex": leaf.latex(), "shape": shape, "holds": what}
                       for leaf, shape, what in shapes(spec)],
            "layers": layers, "proven": all(p.holds for p in proofs),
            "entries_proven": sum(p.entries for p in proofs if p.holds)}


def text(spec, proofs=None):
    env = shape_env(spec)
    proofs = proofs if proofs is not None else prove(spec)
    by_equation = {str(p.equation): p for p in proofs}
    lines = [f"Matrix form over a batch of m samples: {layout_row(spec.layout).title}", "", "Shapes:"]
    lines += [f"  {leaf.text():<6}{shape:<8}{what}" for leaf, shape, what in shapes(spec)]
    width = max(len(str(e)) for e in equations(spec)) + 2
    current = None
    for e in equations(spec):
        if (e.layer, e.part) != current:
            current = (e.layer, e.part)
            lines += ["", f"Layer {e.layer}, {e.part}:"]
        operands = ", ".join(f"{leaf.text()} {shape_text(leaf.shape(env))}" for leaf in e.operands())
        p = by_equation[str(e)]
        mark = "✓" if p.holds else "✗ FAILS"
        lines.append(f"  {str(e):<{width}}{shape_text(e.lhs.shape(env)):<8}[{operands}]  {mark}")
    method = {p.method for p in proofs}
    how = "symbolically (sympy expands every difference to 0)" if method == {"symbolic"} else \
        "at random rational points, exactly"
    count = sum(p.entries for p in proofs)
    verdict = "every entry equals the scalar chain rule's" if all(p.holds for p in proofs) else "SOME ENTRIES DIFFER"
    lines += ["", f"Proof, entry by entry against the scalar chain rule (δ form) for a batch of 3 samples: "
                  f"{len(proofs)} equations, {count} entries, {how}: {verdict}."]
    return "\n".join(lines)
