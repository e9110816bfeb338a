"""A network's delta form compiled layer by layer: each layer's stable forms printed once, vectorised over its neurons.

Where an activation acts neuron by neuron, every neuron of a layer has the same forms with other indices:
O_kj = f_k(z_kj), dL/dz_kj = delta_kj f_k'(z_kj) (g_nj at the output, fused with the loss), delta_nj = dL/dO_nj
and the loss term l(y_j, O_nj). So the stable forms (:class:`~gradproof.symbolic.evaluate.Evaluable`) of neuron 1
of each layer are printed once, by sympy's NumPyPrinter, with each of their symbols standing for its whole layer
(an array over the neurons, then the samples or points); and the sums of the delta form over a layer become
products of arrays:

    z_kj = sum_i w^k_ij O_(k-1)i (+ b^k_j)             the forward sum;
    delta_kj = sum_m (dL/dz_(k+1)m) w^(k+1)_jm          the delta definition, through z_(k+1)m;
    dL/dw^k_ij = (dL/dz_kj) O_(k-1)i, dL/db^k_j = dL/dz_kj    the memoized forms, summed over the samples.

The cost of compiling is then the same for 20 weights and for 10,000. A layer that couples (softmax), or a form
holding a symbol of another neuron, is refused (:class:`Unsupported`): the per-neuron compilation serves it.
"""
import functools
import math

import numpy as np
import sympy as sp
from sympy.printing.codeprinter import PrintMethodNotImplementedError

from gradproof.numeric import losses

from .compile import MPMATH_HELPERS, NUMPY_HELPERS, LargeMpmathPrinter, LargePrinter
from .model import L


class Unsupported(Exception):
    """The network has a layer the per-layer code cannot express (a coupled activation, a cross-neuron form)."""


def _forward(W, O, b=None):
    """z_j = sum_i w_ij O_i (+ b_j), W a matrix or a matrix per point (trailing axes). Summed term by term in the
    order of i, so the numbers are the same bits whether the weights vary by point (the grader) or not."""
    return _sum_of_products([W[i] for i in range(len(W))], O, b)


def _back(W, T):
    """delta_j = sum_m w_jm T_m, term by term in the order of m."""
    return _sum_of_products([W[:, m] for m in range(W.shape[1])], T)


def _sum_of_products(columns, values, start=None):
    total = None if start is None else np.asarray(start)
    for column, value in zip(columns, values, strict=True):
        term = _trailing(column, 1 + np.ndim(value)) * value
        total = term if total is None else total + term if total.ndim >= term.ndim else _trailing(total, term.ndim) + term
    return total


def _trailing(a, ndim):
    """a with singleton axes appended up to ndim (a value per neuron, the same at every sample)."""
    a = np.asarray(a)
    return a.reshape(a.shape + (1,) * (ndim - a.ndim)) if a.ndim < ndim else a


def _like(value, like):
    """value broadcast to the shape of like (a form free of the layer's symbols is one number)."""
    value = np.asarray(value)
    return value if value.shape == like.shape else np.broadcast_to(value, np.broadcast_shapes(value.shape, like.shape))


def _mp_forward(W, O, b=None):
    """z_j = sum_i w_ij O_i (+ b_j) for one sample in mpmath: W as rows [i][j]."""
    z = [sum(W[i][j] * O[i] for i in range(len(O))) for j in range(len(W[0]))]
    return z if b is None else [v + c for v, c in zip(z, b, strict=True)]


def _mp_back(W, T):
    """delta_j = sum_m w_jm T_m for one sample in mpmath."""
    return [sum(row[m] * T[m] for m in range(len(T))) for row in W]


HELPERS = {"_gp_forward": _forward, "_gp_back": _back, "_gp_trailing": _trailing, "_gp_like": _like,
           "_mp_forward": _mp_forward, "_mp_back": _mp_back}


# The rule table: each row's forms printed once per process (for numpy and for mpmath), keyed by the registry rows
# that decide them (the activation of a hidden layer; the output layer's activation with the loss; the
# regularization), with placeholders for a layer's values. Building a network's code is then formatting and one
# compile.
_TEMPLATES = {}
_Z, _O, _D, _Y, _G = "__Z__", "__O__", "__D__", "__Y__", "__G__"


def clear_templates():
    """Forget the printed rows (the benchmark times a first network from an empty table)."""
    _TEMPLATES.clear()


def _template(key, build):
    if key not in _TEMPLATES:
        _TEMPLATES[key] = build()
    return _TEMPLATES[key]


def _names(model, forms, k):
    """Placeholders for neuron 1 of layer k (and y_1, g_1 at the output)."""
    m = model
    return {m.z[k][1]: _Z, m.O[k][1]: _O, m.delta[k][1]: _D, m.y[1]: _Y, forms.g[1]: _G}


def _printed(names, form):
    """One neuron's form as numpy and as mpmath code (None where that printer cannot print it); Unsupported where
    it names a symbol of another neuron."""
    others = form.free_symbols - set(names)
    if others:
        raise Unsupported(f"a form holds {sorted(map(str, others))}")
    out = {"form": form}
    for arithmetic, printer in (("numpy", LargePrinter(names)), ("mpmath", LargeMpmathPrinter(names))):
        try:
            text = printer._print(form)
        except PrintMethodNotImplementedError:
            text = None
        out[arithmetic] = None if printer._not_supported or printer._number_symbols else text
    return out


def _layer_forms(model, k, evaluable):
    """O_kj = f_k(z_kj) and dL/dz_kj = delta_kj f_k'(z_kj) of neuron 1 of layer k, in their stable forms."""
    m, forms = model, evaluable(model)
    names = _names(m, forms, k)
    return {"O": _printed(names, forms(m.O_equation(k, 1))),
            # the factor every path through z_kj shares (g_nj at the output: fused with the loss)
            "T": _printed(names, forms(sp.Mul(m.delta[k][1], m.local(m.O[k][1], m.z[k][1]))))}


def _row_model(spec, layers, activations):
    from dataclasses import replace

    from .model import Model
    return Model(replace(spec, layers=layers, activations=activations))


def _hidden(spec, k, evaluable):
    """The printed forms of a hidden layer's activation row (any layer with that row: the forms hold no index)."""
    name = spec.activations[k - 1]
    return _template(("hidden", name),
                     lambda: _layer_forms(_row_model(spec, (1, 1, 1), (name, spec.activations[-1])), 1, evaluable))


def _output(spec, evaluable):
    """The printed forms of the output layer: its activation row with the loss row (fused in dL/dz)."""
    def build():
        m = _row_model(spec, (1, 1), spec.activations[-1:])
        forms, row = evaluable(m), losses.loss(spec.loss)
        names = _names(m, forms, 1)
        return {**_layer_forms(m, 1, evaluable), "D": _printed(names, forms(m.local(L, m.O[1][1]))),
                "G": _printed(names, forms(forms.g_forms[1])),
                "LOSS": _printed(names, forms(row.sympy_l(sp, m.y[1], m.O[1][1])))}
    return _template(("output", spec.activations[-1], spec.loss), build)


def _regularization(spec):
    """lambda r'(w) and lambda r(w) of the regularization row, at one weight standing for a matrix W."""
    def build():
        m = _row_model(spec, (1, 1), spec.activations[-1:])
        w = m.symbols[m.params[0]]
        names = {w: "W", m.lam: "lam"}
        return {"dR": _printed(names, m.regularization_derivative(m.params[0])),
                "R": _printed(names, m.lam * spec.regularizer.sympy_term(sp, w))}
    return _template(("regularization", spec.regularization), build)


class LayerCode:
    """The code of a model's network: forward sums, activations, deltas, dL/dz per layer and the loss terms.

    ``evaluable(model)`` gives a model's stable forms (evaluate.Evaluable.of). ``run(X, Y, W, b)`` takes x and y,
    W[k - 1] the weights of layer k (n_(k-1) x n_k) and b[k - 1] its biases (or None), and returns a dict of per-layer
    lists: z, O, delta, dz (dL/dz_kj) and g (the output layer's dL/dz) and loss (the output layer's terms). In
    float64 (numpy) each is an array over the neurons, then the samples or points (weights may vary by point too:
    trailing axes); with ``mp``, one sample in mpmath, lists over the neurons.

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.symbolic.model import Model
    >>> from gradproof.symbolic.evaluate import Evaluable
    >>> print(LayerCode(Model(Spec(layers=(2, 2, 1))), Evaluable.of).source.splitlines()[7])
        D2 = _gp_like(((2)*(((O2) + (((-1)*(Y)))))), Z2)
    """

    def __init__(self, model, evaluable, mp=False):
        spec = model.spec
        top = spec.depth
        if any(model.couples(k) for k in range(1, top + 1)):
            raise Unsupported("a layer couples its outputs")
        self.model, self.top, self.mp = model, top, mp
        arithmetic = "mpmath" if mp else "numpy"
        rows = [None] + [_hidden(spec, k, evaluable) for k in range(1, top)] + [_output(spec, evaluable)]
        reg = _regularization(spec)
        self.printed = [p["form"] for row in rows[1:] for p in row.values()] + [p["form"] for p in reg.values()]

        def at(k, name):
            text = rows[k][name][arithmetic]
            if text is None:
                raise Unsupported(f"{arithmetic} cannot print a form of layer {k}")
            index = "[j]" if mp else ""
            for mark, value in ((_Z, f"Z{k}"), (_O, f"O{k}"), (_D, f"D{k}"), (_Y, "Y"), (_G, "G")):
                text = text.replace(mark, value + index)
            # numpy: the layer's arrays at once; mpmath: neuron by neuron
            return f"[{text} for j in range(len(Z{k}))]" if mp else f"_gp_like({text}, Z{k})"

        lines = ["def _layers(X, Y, W, b):", "    O0 = X"]
        forward = "_mp_forward" if mp else "_gp_forward"
        for k in range(1, top + 1):
            bias = f", b[{k - 1}]" if spec.bias else ""
            lines.append(f"    Z{k} = {forward}(W[{k - 1}], O{k - 1}{bias})")
            lines.append(f"    O{k} = {at(k, 'O')}")
        if not mp:
            lines.append(f"    Y = _gp_trailing(Y, O{top}.ndim)")
        for name in ("D", "G", "LOSS"):
            lines.append(f"    {name}{top if name == 'D' else ''} = {at(top, name)}")
        for k in range(top, 0, -1):
            lines.append(f"    T{k} = {at(k, 'T')}")
            if k > 1:
                # delta_(k-1)j = sum_m (dL/dz_km) w^k_jm: the delta definition, through z_km
                lines.append(f"    D{k - 1} = {'_mp_back' if mp else '_gp_back'}(W[{k - 1}], T{k})")
        layers = ", ".join
        lines.append(f"    return ([{layers(f'Z{k}' for k in range(1, top + 1))}], "
                     f"[{layers(f'O{k}' for k in range(top + 1))}], [{layers(f'D{k}' for k in range(1, top + 1))}], "
                     f"[{layers(f'T{k}' for k in range(1, top + 1))}], G, LOSS)")
        if not mp:
            if reg["dR"]["numpy"] is None or reg["R"]["numpy"] is None:
                raise Unsupported("numpy cannot print the regularization")
            lines += ["", "def _regularization(W, lam):", f"    return {reg['dR']['numpy']}",
                      "", "def _penalty(W, lam):", f"    return {reg['R']['numpy']}"]
        self.source = "\n".join(lines) + "\n"
        if mp:
            import mpmath
            namespace = {"mpmath": mpmath, **MPMATH_HELPERS, **HELPERS}
        else:
            namespace = {"numpy": np, "functools": functools, "math": math, **NUMPY_HELPERS, **HELPERS}
        exec(compile(self.source, "<gradproof layers>", "exec"), namespace)
        self._layers = namespace["_layers"]
        if not mp:
            self._regularization, self._penalty = namespace["_regularization"], namespace["_penalty"]

    def run(self, X, Y, W, b=None):
        if self.mp:
            z, O, delta, dz, g, loss = self._layers(X, Y, W, b)
        else:
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                z, O, delta, dz, g, loss = self._layers(X, Y, W, b)
        return {"z": z, "O": O, "delta": delta, "dz": dz, "g": g, "loss": loss}

    def regularization(self, W, lam):
        """R = lambda sum r(w) over every weight, and dR/dW per layer (matrices like W); float64 only."""
        penalty = sum(float(np.sum(self._penalty(w, lam))) for w in W) if self.model.spec.regularizer.present else 0.0
        return penalty, [_like(self._regularization(w, lam), w) for w in W]


def stacked(values):
    """Values of one layer's neurons (numbers or arrays) as one array, neurons first."""
    arrays = [np.asarray(v) for v in values]
    if len({a.shape for a in arrays}) > 1:
        arrays = np.broadcast_arrays(*arrays)
    return np.stack(arrays)

