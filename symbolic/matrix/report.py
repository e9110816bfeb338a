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


def shapes(spec, math=None):
    """[(matrix, shape, what it holds)] for the shapes table; with `math` (a wrapper for LaTeX), what it holds
    is a tuple of text and math parts, else one string."""
    env, rows = shape_env(spec), []

    def say(*items):
        if math is None:
            return "".join(i if isinstance(i, str) else i[1] for i in items)
        return tuple(i if isinstance(i, str) else math(i[0]) for i in items)

    for k in range(spec.depth + 1):
        name = Leaf("X") if k == 0 else Leaf("O", k)
        rows.append((name, shape_text(name.shape(env)), say("the inputs, one sample each") if k == 0 else
                     say(f"outputs of layer {k}" + (", the prediction" if k == spec.depth else ""))))
        if k:
            rows.append((Leaf("Z", k), shape_text(Leaf("Z", k).shape(env)), say(f"pre-activations of layer {k}")))
            at = "(i, j)" if env.layout.samples_in_rows else "(j, i)"
            rows.append((Leaf("W", k), shape_text(Leaf("W", k).shape(env)),
                         say(f"weights into layer {k}: entry {at} is ", (f"w^{{{k}}}_{{ij}}", f"w^{k}_ij"))))
            if spec.bias:
                rows.append((Leaf("b", k), shape_text(Leaf("b", k).shape(env)), say(f"biases of layer {k}")))
    rows.append((Leaf("Y"), shape_text(Leaf("Y").shape(env)), say("targets")))
    if spec.bias:
        rows.append((Leaf("ones"), "m×1", say("ones, one per sample")))
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
