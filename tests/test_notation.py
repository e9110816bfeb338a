"""Parameter and neuron names: every written form the notes and students use, printing with a comma once an
index exceeds 9, and the errors for names that cannot be read or parameters that do not exist."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradproof.numeric.errors import GradproofError
from gradproof.numeric.notation import Neuron, Param, parse_param
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main


@pytest.mark.parametrize("text, layer, i, j", [
    ("w^1_11", 1, 1, 1),
    ("w^{1}_{11}", 1, 1, 1),
    ("w_{11}^{1}", 1, 1, 1),
    ("w_11^1", 1, 1, 1),
    ("w1_11", 1, 1, 1),
    ("w^1_{11}", 1, 1, 1),
    ("w^{2}_13", 2, 1, 3),
    ("w^3_21", 3, 2, 1),
    ("w3_21", 3, 2, 1),
    ("w^1_{10,3}", 1, 10, 3),
    ("w^{1}_{10,3}", 1, 10, 3),
    ("w_{10,3}^{1}", 1, 10, 3),
    ("w1_{10,3}", 1, 10, 3),
    ("w^12_{3,11}", 12, 3, 11),
    ("w^1_{1,2}", 1, 1, 2),
    (" w ^ 1 _ { 4 , 3 } ", 1, 4, 3),
])
def test_weight_forms(text, layer, i, j):
    assert parse_param(text) == Param.weight(layer, i, j)


@pytest.mark.parametrize("text, layer, j", [
    ("b^1_1", 1, 1), ("b^{1}_{1}", 1, 1), ("b_{1}^{1}", 1, 1), ("b1_1", 1, 1), ("b^2_3", 2, 3), ("b^3_{12}", 3, 12),
])
def test_bias_forms(text, layer, j):
    assert parse_param(text) == Param.bias(layer, j)


def test_printing():
    assert Param.weight(1, 1, 1).name == "w^1_11"
    assert Param.weight(1, 1, 1).latex == "w^{1}_{11}"
    assert Param.weight(3, 2, 1).name == "w^3_21"
    assert Param.weight(1, 10, 3).name == "w^1_{10,3}"          # the comma once an index exceeds 9
    assert Param.weight(1, 3, 10).name == "w^1_{3,10}"
    assert Param.weight(1, 10, 3).latex == "w^{1}_{10,3}"
    assert Param.weight(10, 1, 2).name == "w^10_12"             # the layer is not part of the subscript
    assert Param.bias(2, 1).name == "b^2_1"
    assert Param.bias(2, 1).latex == "b^{2}_{1}"
    assert Param.bias(1, 12).name == "b^1_{12}"
    assert str(Param.weight(2, 1, 1)) == repr(Param.weight(2, 1, 1)) == "w^2_11"


def test_neuron_names():
    assert Neuron("O", 3, 1).name == "O_31"
    assert Neuron("z", 2, 2).latex == "z_{22}"
    assert Neuron("delta", 1, 2).latex == r"\delta_{12}"
    assert Neuron("x", 0, 4).name == "x_4"
    assert Neuron("O", 1, 10).name == "O_{1,10}"
    assert Neuron("y", 0, 12).name == "y_{12}"


def test_json_fields():
    assert Param.weight(1, 2, 3).to_json() == {"name": "w^1_23", "kind": "weight", "layer": 1, "i": 2, "j": 3}
    assert Param.bias(2, 1).to_json() == {"name": "b^2_1", "kind": "bias", "layer": 2, "j": 1}


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.integers(1, 30), st.booleans())
def test_every_printed_name_reads_back(layer, i, j, weight):
    param = Param.weight(layer, i, j) if weight else Param.bias(layer, j)
    assert parse_param(param.name) == param
    assert parse_param(param.latex) == param                    # the LaTeX form is one of the written forms
    assert ("," in param.name) == (weight and max(i, j) > 9)


def test_sorting_follows_the_spec():
    params = Spec(layers=(2, 3, 1), bias=True).parameters()
    assert sorted(reversed(params)) == params


@pytest.mark.parametrize("text", [
    "v^1_11", "W^1_11", "w^1_1", "w^1_111", "b^1_11x", "w^{1_11", "w^1_{11", "w^1_{1,,1}", "w^1_{11,}",
    "w^1_{1,2,3}", "b^1_{1,2}", "w11", "w^_11", "w^1_", "", "w^a_11", "w^1_1 1",
])
def test_unreadable_names(text):
    with pytest.raises(GradproofError) as caught:
        parse_param(text)
    message = str(caught.value)
    assert message.startswith(f"cannot read parameter name {text!r}")
    assert "w^1_11" in message and "w^1_{10,3}" in message and "b^1_1" in message


def cli_error(capsys, *argv):
    assert main(["derive", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert len(captured.err.splitlines()) == 1
    return captured.err


def test_unreadable_name_on_the_command_line(capsys):
    assert "cannot read parameter name 'q^1_11'" in cli_error(capsys, "--param", "q^1_11")


@pytest.mark.parametrize("name", ["w^4_11", "w^0_11", "w^1_51", "w^1_14", "w^3_31", "w^2_{10,1}", "w^1_01"])
def test_missing_weight_lists_what_exists(capsys, name):
    message = cli_error(capsys, "--param", name)
    assert f"{parse_param(name)} does not exist in the 4-3-2-1 network" in message
    assert "w^1_ij with i in 1..4, j in 1..3, w^2_ij with i in 1..3, j in 1..2, w^3_ij with i in 1..2, j in 1..1" in message


def test_missing_bias(capsys):
    assert "b^1_1 does not exist: this network has no biases (add --bias)" in cli_error(capsys, "--param", "b^1_1")
    message = cli_error(capsys, "--bias", "--param", "b^3_2")
    assert "b^3_2 does not exist" in message and "b^1_j with j in 1..3, b^2_j with j in 1..2, b^3_j with j in 1..1" in message


def test_names_on_the_command_line_in_every_form(capsys):
    forms = ["w^1_11", "w^{2}_{21}", "w_{21}^{3}", "w1_43", "b^2_2"]
    assert main(["derive", "--bias", "--param", *forms, "--json"]) == 0
    names = [p["name"] for p in json.loads(capsys.readouterr().out)["parameters"]]
    assert names == ["w^1_11", "w^2_21", "w^3_21", "w^1_43", "b^2_2"]


def test_two_digit_indices_on_the_command_line(capsys):
    assert main(["derive", "--net", "11-2-1", "--param", "w^1_{10,2}", "w^1_{11,1}", "--json"]) == 0
    params = json.loads(capsys.readouterr().out)["parameters"]
    assert [(p["name"], p["i"], p["j"]) for p in params] == [("w^1_{10,2}", 10, 2), ("w^1_{11,1}", 11, 1)]
    assert params[0]["paths"] == [["w^1_{10,2}", "O_12", "O_21", "L"]]
    assert "w^{1}_{10,2}" in params[0]["chain_rule_latex"]
