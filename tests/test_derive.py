"""`gradproof derive`: the JSON of the issue, every value against an independent computation, and the text.

The independent computation is the tests' plain-Python oracle (tests/oracle.py: math and cmath, lists,
loops), written from the notes' definitions with the backward pass derived by hand; it uses nothing from
numeric/ or symbolic/. It is itself checked here against the complex step (analytic activations and losses)
and central differences.
"""
import json
import math
import random

import pytest

from gradproof.symbolic.cli import main

from oracle import gradients, loss

ACTS = ["sigmoid", "tanh", "linear", "softplus", "relu", "leaky_relu"]
ISSUE_KEYS = ["name", "kind", "layer", "i", "j", "paths", "chain_rule_latex", "closed_form_latex", "memoized_latex"]


def make_point(net, seed, samples):
    rng = random.Random(seed)
    n = net["layers"]
    W = [[[rng.uniform(-1, 1) / math.sqrt(a) * 1.5 for _ in range(c)] for _ in range(a)] for a, c in zip(n, n[1:])]
    b = [[rng.uniform(-0.5, 0.5) for _ in range(c)] for c in n[1:]] if net["bias"] else None
    X = [[rng.uniform(-1, 1) for _ in range(n[0])] for _ in range(samples)]
    Y = [[rng.uniform(0.1, 0.9) for _ in range(n[-1])] for _ in range(samples)]
    return W, b, X, Y


def expected_values(net, W, b, X, Y):
    """{parameter name: dL/dparameter}, named as the notes."""
    dW, db = gradients(net, W, b, X, Y)
    values = {}
    for k in range(len(W)):
        for i in range(len(W[k])):
            for j in range(len(W[k][0])):
                values[f"w^{k + 1}_{i + 1}{j + 1}"] = dW[k][i][j]
        if b:
            for j in range(len(W[k][0])):
                values[f"b^{k + 1}_{j + 1}"] = db[k][j]
    return values


def nets():
    """Every activation with every loss (bce on a sigmoid output), cycling bias, regularization, reduction and
    the number of samples; two-output networks for half_squared."""
    out = []
    for n, act in enumerate(ACTS):
        for m, kind in enumerate(["squared", "half_squared", "bce"]):
            layers, acts = {"squared": ([4, 3, 2, 1], [act] * 3), "half_squared": ([3, 4, 2], [act] * 2),
                            "bce": ([4, 3, 2, 1], [act, act, "sigmoid"])}[kind]
            c = n + m
            reg = ["none", "l1", "l2"][c % 3]
            out.append({"layers": layers, "acts": acts, "bias": c % 2 == 0, "loss": kind,
                        "reduction": ["sum", "mean"][(n // 2 + m) % 2], "reg": reg, "lam": 0.0 if reg == "none" else 0.3,
                        "samples": [1, 3, 2][c % 3]})
    return out


NETS = nets()


def argv_of(net):
    argv = ["--net", "-".join(map(str, net["layers"])), "--act", ",".join(net["acts"]), "--loss", net["loss"],
            "--reduction", net["reduction"], "--reg", net["reg"], "--lam", str(net["lam"])]
    return argv + (["--bias"] if net["bias"] else [])


def point_file(tmp_path, net, W, b, X, Y):
    """A POINT as a user writes it: one sample flat, several as lists; y flat when there is one output."""
    y = [row[0] for row in Y] if len(Y[0]) == 1 else Y
    data = {"x": X[0] if len(X) == 1 else X, "y": y[0] if len(X) == 1 else y, "W": W}
    if b:
        data["b"] = b
    path = tmp_path / "point.json"
    path.write_text(json.dumps(data))
    return path


# ---------------------------------------------------------------- the oracle is right

def test_reference_on_the_notes_by_hand():
    """The notes' network with every weight 0: O_11..O_13 = O_21 = O_22 = O_31 = 1/2, so for squared loss
    dL/dw^3_11 = -2 (y - 1/2) * 1/4 * 1/2, and every earlier gradient is 0 (the weights after it are 0)."""
    net = {"layers": [4, 3, 2, 1], "acts": ["sigmoid"] * 3, "bias": False, "loss": "squared", "reduction": "sum",
           "reg": "none", "lam": 0.0}
    W = [[[0.0] * 3 for _ in range(4)], [[0.0] * 2 for _ in range(3)], [[0.0] for _ in range(2)]]
    values = expected_values(net, W, None, [[1, 2, 3, 4]], [[0.9]])
    assert values["w^3_11"] == values["w^3_21"] == pytest.approx(-2 * 0.4 * 0.25 * 0.5)
    assert all(v == 0 for name, v in values.items() if not name.startswith("w^3"))


@pytest.mark.parametrize("net", [n for n in NETS if n["reg"] != "l1" and set(n["acts"]) <= {"sigmoid", "tanh", "linear", "softplus"}],
                         ids=lambda n: f"{','.join(n['acts'])}-{n['loss']}-{n['reg']}")
def test_reference_against_the_complex_step(net):
    W, b, X, Y = make_point(net, 11, net["samples"])
    values = expected_values(net, W, b, X, Y)
    h = 1e-30
    for name, value in values.items():
        k, rest = int(name[2]), name[4:]
        W2 = [[[complex(w) for w in row] for row in layer] for layer in W]
        b2 = [[complex(v) for v in layer] for layer in b] if b else None
        if name[0] == "w":
            W2[k - 1][int(rest[0]) - 1][int(rest[1]) - 1] += 1j * h
        else:
            b2[k - 1][int(rest[0]) - 1] += 1j * h
        assert loss(net, W2, b2, X, Y).imag / h == pytest.approx(value, rel=1e-12, abs=1e-15), name


@pytest.mark.parametrize("net", [n for n in NETS if n["reg"] == "l1" or {"relu", "leaky_relu"} & set(n["acts"])][:6],
                         ids=lambda n: f"{','.join(n['acts'])}-{n['loss']}-{n['reg']}")
def test_reference_against_central_differences(net):
    W, b, X, Y = make_point(net, 12, net["samples"])
    values = expected_values(net, W, b, X, Y)
    h = 1e-6
    for k, layer in enumerate(W):
        for i, row in enumerate(layer):
            for j in range(len(row)):
                plus = [[r[:] for r in lay] for lay in W]
                minus = [[r[:] for r in lay] for lay in W]
                plus[k][i][j] += h
                minus[k][i][j] -= h
                estimate = (loss(net, plus, b, X, Y) - loss(net, minus, b, X, Y)) / (2 * h)
                assert estimate == pytest.approx(values[f"w^{k + 1}_{i + 1}{j + 1}"], rel=1e-6, abs=1e-8)


# ---------------------------------------------------------------- the JSON

def derive_json(capsys, *argv):
    assert main(["derive", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_notes_network_json(capsys):
    data = derive_json(capsys)
    assert list(data) == ["network", "parameters"]                                  # no loss without --at
    assert data["network"] == {"layers": [4, 3, 2, 1], "activations": ["sigmoid"] * 3, "bias": False,
                               "loss": "squared", "reduction": "sum", "regularization": "none", "lambda": 0.0, "layout": "rows"}
    params = data["parameters"]
    names = [f"w^1_{i}{j}" for i in range(1, 5) for j in range(1, 4)] + \
            [f"w^2_{i}{j}" for i in range(1, 4) for j in range(1, 3)] + ["w^3_11", "w^3_21"]
    assert [p["name"] for p in params] == names
    assert [len(p["paths"]) for p in params] == [2] * 12 + [1] * 8
    for p in params:
        keys = [k for k in p if k in ISSUE_KEYS]
        assert keys == ISSUE_KEYS and "value" not in p                              # the issue's fields, in its order
        assert p["kind"] == "weight" and p["name"] == f"w^{p['layer']}_{p['i']}{p['j']}"
        assert all(isinstance(p[k], str) and p[k] for k in ISSUE_KEYS[6:])
        for path in p["paths"]:
            assert path[0] == p["name"] and path[1] == f"O_{p['layer']}{p['j']}" and path[-1] == "L"
    first = params[0]
    assert first["paths"] == [["w^1_11", "O_11", "O_21", "O_31", "L"], ["w^1_11", "O_11", "O_22", "O_31", "L"]]
    assert first["chain_rule_latex"].startswith(r"\frac{\partial L}{\partial O_{31}} \cdot \left[")
    assert params[-1]["paths"] == [["w^3_21", "O_31", "L"]]


def test_bias_entries(capsys):
    params = derive_json(capsys, "--bias")["parameters"]
    assert len(params) == 26
    b = [p for p in params if p["kind"] == "bias"]
    assert [p["name"] for p in b] == ["b^1_1", "b^1_2", "b^1_3", "b^2_1", "b^2_2", "b^3_1"]
    for p in b:
        assert "i" not in p and [k for k in ISSUE_KEYS if k != "i"] == [k for k in p if k in ISSUE_KEYS]
    assert b[0]["paths"] == [["b^1_1", "O_11", "O_21", "O_31", "L"], ["b^1_1", "O_11", "O_22", "O_31", "L"]]
    assert (b[0]["layer"], b[0]["j"]) == (1, 1)


@pytest.mark.parametrize("layers, counts", [((3, 4, 5, 2), {1: 10, 2: 2, 3: 1}), ((2, 3, 3, 3, 1), {1: 9, 2: 3, 3: 1, 4: 1}),
                                            ((5, 1), {1: 1}), ((2, 2, 2, 2, 2, 2, 1), {1: 16, 4: 2, 5: 1, 6: 1})])
def test_path_counts_of_other_networks(capsys, layers, counts):
    """A weight of layer k has prod_{l > k} n_l paths; the JSON lists each once."""
    params = derive_json(capsys, "--net", "-".join(map(str, layers)), "--act", "tanh")["parameters"]
    assert len(params) == sum(a * b for a, b in zip(layers, layers[1:]))
    for p in params:
        assert p["path_count"] == math.prod(layers[p["layer"] + 1:])
        assert len(p["paths"]) == p["path_count"] == len({tuple(path) for path in p["paths"]})
    for k, count in counts.items():
        assert {len(p["paths"]) for p in params if p["layer"] == k} == {count}


def test_too_many_paths_are_not_listed(capsys):
    params = derive_json(capsys, "--net", "4-4-4-4-4-1", "--param", "w^1_11", "w^4_11", "--max-paths", "16")["parameters"]
    assert (params[0]["path_count"], params[0]["paths"], params[0]["chain_rule_latex"]) == (64, None, None)
    assert r"\delta_{11}" in params[0]["memoized_latex"]
    assert params[1]["paths"] == [["w^4_11", "O_41", "O_51", "L"]]


# ---------------------------------------------------------------- values at a POINT

@pytest.mark.parametrize("net", NETS, ids=lambda n: f"{','.join(n['acts'])}-{n['loss']}-{n['reduction']}-{n['reg']}"
                         f"-{'bias' if n['bias'] else 'nobias'}-{n['samples']}")
def test_values_match_an_independent_computation(capsys, tmp_path, net):
    W, b, X, Y = make_point(net, 1000 + NETS.index(net), net["samples"])
    data = derive_json(capsys, *argv_of(net), "--at", str(point_file(tmp_path, net, W, b, X, Y)))
    assert list(data) == ["network", "loss", "parameters"]
    assert data["loss"] == pytest.approx(loss(net, W, b, X, Y), rel=1e-12)
    expected = expected_values(net, W, b, X, Y)
    assert [p["name"] for p in data["parameters"]] == sorted(expected, key=lambda n: [p["name"] for p in data["parameters"]].index(n))
    assert {p["name"] for p in data["parameters"]} == set(expected)
    for p in data["parameters"]:
        assert list(p)[-1] == "value"
        assert p["value"] == pytest.approx(expected[p["name"]], rel=1e-12, abs=1e-300), p["name"]


def test_values_at_a_relu_kink(capsys, tmp_path):
    """z_11 = 0.5 - 0.5 = 0 exactly: ReLU'(0) = 0, so nothing flows back through O_11; leaky ReLU'(0) = 0.01."""
    point = {"x": [1.0, -1.0], "y": 1.5, "W": [[[0.5, 0.3], [0.5, -0.2]], [[1.0], [1.0]]]}
    path = tmp_path / "kink.json"
    path.write_text(json.dumps(point))
    for act, slope in (("relu", 0.0), ("leaky_relu", 0.01)):
        net = {"layers": [2, 2, 1], "acts": [act, "linear"], "bias": False, "loss": "squared", "reduction": "sum",
               "reg": "none", "lam": 0.0}
        data = derive_json(capsys, "--net", "2-2-1", "--act", f"{act},linear", "--at", str(path))
        values = {p["name"]: p["value"] for p in data["parameters"]}
        assert values == pytest.approx(expected_values(net, point["W"], None, [point["x"]], [[1.5]]), rel=1e-12, abs=1e-300)
        # by hand: O_11 = f(0) = 0, O_12 = 0.5, O_21 = 0.5, dL/dO_21 = -2 (1.5 - 0.5) = -2;
        # dL/dw^1_11 = dL/dO_21 * w^2_11 * f'(0) * x_1 = -2 * 1 * slope * 1
        assert values["w^1_11"] == pytest.approx(-2 * slope, rel=1e-12, abs=1e-300)
        assert values["w^1_12"] == pytest.approx(-2 * 1.0 * 1.0 * 1.0)           # z_12 = 0.5 > 0: f' = 1


def test_values_from_a_toml_point_and_selected_parameters(capsys, tmp_path):
    net = {"layers": [4, 3, 2, 1], "acts": ["tanh"] * 3, "bias": True, "loss": "half_squared", "reduction": "mean",
           "reg": "l2", "lam": 0.1}
    W, b, X, Y = make_point(net, 5, 2)
    lines = [f"x = {X}", f"y = {[y[0] for y in Y]}", f"W = {W}", f"b = {b}"]
    path = tmp_path / "point.toml"
    path.write_text("\n".join(lines) + "\n")
    data = derive_json(capsys, *argv_of(net), "--at", str(path), "--param", "w^{3}_{21}", "b^2_1", "w1_43")
    expected = expected_values(net, W, b, X, Y)
    assert [(p["name"], p["value"]) for p in data["parameters"]] == [
        (n, pytest.approx(expected[n], rel=1e-12)) for n in ("w^3_21", "b^2_1", "w^1_43")]


# ---------------------------------------------------------------- the terminal

def test_text_output_reads_like_the_notes(capsys, tmp_path):
    assert main(["derive", "--param", "w^1_11", "w^3_11"]) == 0
    out = capsys.readouterr().out
    assert "Network 4-3-2-1" in out
    assert "w¹₁₁ → O₁₁ → O₂₁ → O₃₁ → L" in out and "w¹₁₁ → O₁₁ → O₂₂ → O₃₁ → L" in out
    assert "w³₁₁ → O₃₁ → L" in out
    assert "∂L/∂O₃₁ · [∂O₃₁/∂O₂₁ · ∂O₂₁/∂O₁₁ + ∂O₃₁/∂O₂₂ · ∂O₂₂/∂O₁₁] · ∂O₁₁/∂w¹₁₁" in out
    assert "δ₁₁ · ∂O₁₁/∂w¹₁₁" in out
    assert "(δ₁₁ also serves w¹₂₁, w¹₃₁, w¹₄₁)" in out                    # memoization: one delta, many weights
    definitions = out.split("computed once, from the output back, and reused:")[1]
    for delta in ("δ₃₁ = ∂L/∂O₃₁ = ", "δ₂₁ = ∂L/∂O₂₁ = ", "δ₂₂ = ∂L/∂O₂₂ = ", "δ₁₁ = ∂L/∂O₁₁ = "):
        assert out.count(delta) == 1 and delta in definitions                    # each defined once
    assert definitions.index("δ₃₁") < definitions.index("δ₂₁") < definitions.index("δ₁₁")   # from the output back
    assert "δ₁₁ = ∂L/∂O₁₁ = δ₂₁·O₂₁·(1 − O₂₁)·w²₁₁ + δ₂₂·O₂₂·(1 − O₂₂)·w²₁₂" in out
    assert "(2 paths to L)" in out and "(1 path to L)" in out
    assert "value" not in out
    net = {"layers": [4, 3, 2, 1], "acts": ["sigmoid"] * 3, "bias": False, "loss": "squared", "reduction": "sum",
           "reg": "none", "lam": 0.0}
    W, b, X, Y = make_point(net, 3, 1)
    assert main(["derive", "--param", "w^1_11", "--at", str(point_file(tmp_path, net, W, b, X, Y))]) == 0
    out = capsys.readouterr().out
    value = float(out.split("∂L/∂w¹₁₁ = ")[-1].split()[0])
    assert value == pytest.approx(expected_values(net, W, b, X, Y)["w^1_11"], rel=1e-11)     # printed to 12 digits


@pytest.mark.parametrize("net, param, shown", [
    # softmax with cross-entropy: -y_m/O_2m times the Jacobian's -O_21 O_2m is y_m O_21, the O_2m gone
    (dict(layers=(2, 3, 3), activations=("sigmoid", "softmax"), loss="ce"), "w^2_11",
     "(−y₁·(1 − O₂₁) + y₂·O₂₁ + y₃·O₂₁)·O₁₁"),
    # sigmoid with binary cross-entropy: (y - O)/(O(O - 1)) times O(1 - O) is -(y - O)
    (dict(layers=(2, 2, 1), loss="bce"), "w^2_11", "−(y₁ − O₂₁)·O₁₁"),
])
def test_closed_forms_cancel_a_factor_against_its_reciprocal(net, param, shown):
    import sympy as sp

    from gradproof.numeric.notation import parse_param
    from gradproof.numeric.spec import Spec
    from gradproof.symbolic.chain import derive, settle
    from gradproof.symbolic.model import Model
    from gradproof.symbolic.printing import terminal
    spec = Spec(**net)
    model = Model(spec)
    d = derive(spec, parse_param(param), model)
    assert terminal(d.closed_form) == shown
    # still the derivative: sympy.diff of the nested loss, at random values of x, y and w
    expected = sp.diff(model.expanded_loss(), d.symbol)
    got = model.expand(settle(d.closed_form))
    rng = random.Random(7)
    for _ in range(3):
        at = {s: rng.uniform(0.1, 0.9) for s in expected.free_symbols | got.free_symbols}
        assert float(got.subs(at)) == pytest.approx(float(expected.subs(at)), rel=1e-12)
