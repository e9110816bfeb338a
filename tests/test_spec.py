"""The network spec, from flags and from TOML, read through the command line as a user gives it.

Every field from flags, every field from TOML, flags over TOML, the notes' network by default, and every
bad spec: exit status 2, one line on stderr naming the problem, no traceback.
"""
import json

import pytest

from gradproof.numeric.errors import GradproofError
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import build_parser, main, spec_from_args

NOTES = {"layers": [4, 3, 2, 1], "activations": ["sigmoid", "sigmoid", "sigmoid"], "bias": False,
         "loss": "squared", "reduction": "sum", "regularization": "none", "lambda": 0.0, "layout": "rows"}


def network(capsys, *argv):
    """The spec `gradproof derive` reports for a command line (one parameter, to stay fast)."""
    assert main(["derive", *argv, "--param", "w^1_11", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["network"]


def error(capsys, *argv):
    """Run a command that must fail; return its one-line message."""
    assert main(list(argv)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert lines[0].startswith(f"gradproof {argv[0]}: error: ")
    return lines[0]


def toml_file(tmp_path, text, name="spec.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


FULL_TOML = """
[network]
layers = [2, 3, 3, 1]
activation = ["relu", "leaky_relu", "sigmoid"]
bias = true
[loss]
kind = "bce"
reduction = "mean"
[regularization]
kind = "l2"
lambda = 0.5
"""


# ---------------------------------------------------------------- reading

def test_no_spec_is_the_notes_network(capsys):
    assert network(capsys) == NOTES


def test_notes_toml_from_the_issue_is_the_default(capsys, tmp_path):
    text = ('[network]\nlayers = [4, 3, 2, 1]\nactivation = "sigmoid"      # or ["tanh", "tanh", "linear"]\n'
            'bias = false\n[loss]\nkind = "squared"\nreduction = "sum"\n[regularization]\nkind = "none"\nlambda = 0.0\n')
    assert network(capsys, toml_file(tmp_path, text)) == NOTES


def test_every_field_from_flags(capsys):
    got = network(capsys, "--net", "3-5-2", "--act", "tanh,linear", "--bias", "--loss", "half_squared",
                  "--reduction", "mean", "--reg", "l1", "--lam", "0.25")
    assert got == {"layers": [3, 5, 2], "activations": ["tanh", "linear"], "bias": True, "loss": "half_squared",
                   "reduction": "mean", "regularization": "l1", "lambda": 0.25, "layout": "rows"}


def test_one_activation_for_every_layer(capsys):
    assert network(capsys, "--net", "2-2-2-2-1", "--act", "softplus")["activations"] == ["softplus"] * 4


def test_every_field_from_toml(capsys, tmp_path):
    assert network(capsys, toml_file(tmp_path, FULL_TOML)) == {
        "layers": [2, 3, 3, 1], "activations": ["relu", "leaky_relu", "sigmoid"], "bias": True, "loss": "bce",
        "reduction": "mean", "regularization": "l2", "lambda": 0.5, "layout": "rows"}


def test_partial_toml_keeps_the_other_defaults(capsys, tmp_path):
    got = network(capsys, toml_file(tmp_path, '[loss]\nkind = "half_squared"\n'))
    assert got == dict(NOTES, loss="half_squared")
    got = network(capsys, toml_file(tmp_path, '[network]\nlayers = [3, 1]\nactivation = "tanh"\n'))
    assert got == dict(NOTES, layers=[3, 1], activations=["tanh"])


def test_flags_override_toml(capsys, tmp_path):
    spec = toml_file(tmp_path, FULL_TOML)
    got = network(capsys, spec, "--act", "tanh,tanh,sigmoid", "--loss", "squared", "--reduction", "sum",
                  "--reg", "l1", "--lam", "0.125")
    assert got == {"layers": [2, 3, 3, 1], "activations": ["tanh", "tanh", "sigmoid"], "bias": True,
                   "loss": "squared", "reduction": "sum", "regularization": "l1", "lambda": 0.125, "layout": "rows"}
    # a new depth with new activations; the TOML's other fields stay
    got = network(capsys, spec, "--net", "4-2-1", "--act", "tanh,sigmoid")
    assert (got["layers"], got["activations"], got["loss"], got["lambda"]) == ([4, 2, 1], ["tanh", "sigmoid"], "bce", 0.5)
    # with one activation in the TOML, --net alone keeps it for every layer
    one = toml_file(tmp_path, '[network]\nactivation = "tanh"\n', "one.toml")
    assert network(capsys, one, "--net", "2-2-2-2")["activations"] == ["tanh"] * 3


def test_spec_values():
    """The spec's own answers: parameters in the notes' order, path counts, equality of equal specs."""
    spec = Spec()
    assert len(spec.parameters()) == 4 * 3 + 3 * 2 + 2 * 1 == 20
    assert [str(p) for p in spec.parameters()[:4]] == ["w^1_11", "w^1_12", "w^1_13", "w^1_21"]
    with_bias = [str(p) for p in Spec(bias=True).parameters()]
    assert len(with_bias) == 20 + 3 + 2 + 1
    assert with_bias[11:16] == ["w^1_43", "b^1_1", "b^1_2", "b^1_3", "w^2_11"]   # each layer's biases after its weights
    assert [str(p) for p in Spec(layers=(2, 1), bias=True).parameters()] == ["w^1_11", "w^1_21", "b^1_1"]
    assert Spec(activations="tanh") == Spec(activations=["tanh", "tanh", "tanh"])
    assert Spec(layers=[4, 3, 2, 1]).layers == (4, 3, 2, 1)


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("argv, expected", [
    (["--act", "sigmod"], "unknown activation 'sigmod'; valid: sigmoid, tanh, linear, softplus, relu, leaky_relu, softmax"),
    (["--act", "tanh,relu,swish"], "unknown activation 'swish'; valid: sigmoid, tanh, linear, softplus, relu, leaky_relu, softmax"),
    (["--loss", "mse"], "unknown loss 'mse'; valid: squared, half_squared, bce, ce"),
    (["--reduction", "avg"], "unknown reduction 'avg'; valid: sum, mean"),
    (["--reg", "l3"], "unknown regularization 'l3'; valid: none, l1, l2"),
    (["--act", "tanh,tanh"], "2 activations given for 3 non-input layers of 4-3-2-1"),
    (["--net", "3-2", "--act", "tanh,tanh"], "2 activations given for 1 non-input layers of 3-2"),
    (["--loss", "bce", "--act", "tanh"], "loss 'bce' needs outputs in (0, 1): the output layer's activation must be sigmoid"),
    (["--loss", "bce", "--act", "sigmoid,sigmoid,relu"], "must be sigmoid or softmax, not 'relu'"),
    (["--net", "4-x-1"], "--net takes layer sizes joined by '-', input first, e.g. 4-3-2-1; got '4-x-1'"),
    (["--net", "4"], "--net takes layer sizes"),
    (["--net", "4-0-1"], "--net takes layer sizes"),
    (["--lam", "-1"], "lambda must be a finite number >= 0"),
    (["--lam", "inf"], "lambda must be a finite number >= 0"),
])
def test_bad_flags(capsys, argv, expected):
    assert expected in error(capsys, "derive", *argv)


def test_bce_on_a_sigmoid_output_is_fine_whatever_the_hidden_layers(capsys):
    assert network(capsys, "--loss", "bce", "--act", "tanh,relu,sigmoid")["loss"] == "bce"


def test_net_changing_the_depth_of_a_mixed_toml_needs_act(capsys, tmp_path):
    spec = toml_file(tmp_path, FULL_TOML)
    message = error(capsys, "derive", spec, "--net", "2-1")
    assert "--net 2-1 changes the depth" in message and "give --act for the new layers too" in message


def test_net_keeping_the_depth_of_a_mixed_toml_keeps_its_activations(capsys, tmp_path):
    spec = toml_file(tmp_path, FULL_TOML)
    base = spec_from_args(build_parser("derive").parse_args(["derive", str(spec)]))
    resized = spec_from_args(build_parser("derive").parse_args(["derive", str(spec), "--net", "-".join(
        str(n + 1) for n in base.layers)]))
    assert resized.activations == base.activations
    assert resized.layers == tuple(n + 1 for n in base.layers)


def test_no_bias_overrides_the_spec_file(tmp_path):
    spec = toml_file(tmp_path, "[network]\nlayers = [2, 2, 1]\nbias = true\n")
    assert spec_from_args(build_parser("derive").parse_args(["derive", str(spec)])).bias is True
    assert spec_from_args(build_parser("derive").parse_args(["derive", str(spec), "--no-bias"])).bias is False


def test_a_bad_flag_value_is_one_line(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["derive", "--lam", "abc"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid float value: 'abc'" in err


@pytest.mark.parametrize("text, expected", [
    ('[network]\nlayers = [4, 3\n', "not valid TOML"),
    ('[network]\nlayers = 4, 3\n', "not valid TOML: Expected newline or end of document after a statement (at line 2, column 11)"),
    ('[loss]\nkind = squared\n', "(at line 2, column 8)"),
    ('[netwrk]\nlayers = [4, 1]\n', "unknown table [netwrk]; valid: [network], [loss], [regularization], [matrix]"),
    ('[network]\nlayer = [4, 1]\n', "unknown key 'layer' in [network]; valid: layers, activation, bias"),
    ('[loss]\nkind = "squared"\nreduce = "sum"\n', "unknown key 'reduce' in [loss]; valid: kind, reduction"),
    ('[regularization]\nkind = "l2"\nlam = 0.1\n', "unknown key 'lam' in [regularization]; valid: kind, lambda"),
    ('network = 3\n', "[network] must be a table"),
    ('[network]\nlayers = "4-3-2-1"\n', "layers must be a list of sizes"),
    ('[network]\nlayers = [4, 2.5, 1]\n', "layer sizes must be positive whole numbers; got [4, 2.5, 1]"),
    ('[network]\nlayers = [4, 0, 1]\n', "layer sizes must be positive whole numbers"),
    ('[network]\nlayers = [4]\n', "a network needs at least 2 layers"),
    ('[network]\nactivation = 3\n', "activation must be a name or a list of names"),
    ('[network]\nactivation = [["tanh"], "tanh", "tanh"]\n', "activation must be a name or a list of names"),
    ('[network]\nactivation = ["tanh", "tanh"]\n', "2 activations given for 3 non-input layers of 4-3-2-1"),
    ('[network]\nactivation = "sigmod"\n', "unknown activation 'sigmod'; valid: sigmoid, tanh"),
    ('[network]\nbias = "yes"\n', "bias must be a bool"),
    ('[loss]\nkind = "mse"\n', "unknown loss 'mse'; valid: squared, half_squared, bce, ce"),
    ('[loss]\nreduction = 2\n', "reduction must be a str"),
    ('[loss]\nkind = "bce"\n[network]\nactivation = "tanh"\n', "loss 'bce' needs outputs in (0, 1)"),
    ('[regularization]\nkind = "l3"\n', "unknown regularization 'l3'; valid: none, l1, l2"),
    ('[regularization]\nkind = "l2"\nlambda = "big"\n', "lambda must be a finite number >= 0; got 'big'"),
    ('[regularization]\nkind = "l2"\nlambda = -0.5\n', "lambda must be a finite number >= 0"),
])
def test_bad_toml(capsys, tmp_path, text, expected):
    path = toml_file(tmp_path, text)
    message = error(capsys, "derive", path)
    assert expected in message
    assert path in message                       # the file is named


def test_missing_spec_file(capsys, tmp_path):
    assert "spec file" in error(capsys, "derive", str(tmp_path / "nope.toml"))


def test_library_errors_are_gradproof_errors():
    with pytest.raises(GradproofError, match="unknown activation 'x'"):
        Spec(activations="x")
    with pytest.raises(GradproofError, match="at least 2 layers"):
        Spec(layers=(3,))
    with pytest.raises(GradproofError, match="positive whole numbers"):
        Spec(layers=(3, True))
