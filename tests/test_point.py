"""POINT files: JSON and TOML, one sample or several, and every wrong shape named with the shape expected."""
import json

import numpy as np
import pytest

from gradproof.numeric.errors import GradproofError
from gradproof.numeric.point import from_mapping, load_point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main

NOTES = Spec()
W = [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9], [1.0, 1.1, 1.2]],
     [[-0.1, -0.2], [-0.3, -0.4], [-0.5, -0.6]],
     [[0.25], [-0.75]]]


def write(tmp_path, data, suffix=".json"):
    path = tmp_path / f"point{suffix}"
    if suffix == ".toml":
        path.write_text(data)
    else:
        path.write_text(json.dumps(data))
    return path


def test_json_single_sample(tmp_path):
    p = load_point(write(tmp_path, {"x": [1, 2, 3, 4], "y": [0.5], "W": W}), NOTES)
    assert p.x.tolist() == [[1, 2, 3, 4]] and p.y.tolist() == [[0.5]]
    assert p.samples == 1 and p.single
    assert p.W[0][3, 2] == 1.2 and p.W[1][2, 1] == -0.6 and p.W[2][1, 0] == -0.75   # W[k-1][i-1][j-1] = w^k_ij
    assert p.b is None
    assert p.x.dtype == np.float64


def test_json_several_samples_and_flat_y(tmp_path):
    x = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    p = load_point(write(tmp_path, {"x": x, "y": [0.1, 0.2, 0.3], "W": W}), NOTES)   # n_L = 1: one number a sample
    assert p.x.tolist() == x and p.y.tolist() == [[0.1], [0.2], [0.3]]
    assert p.samples == 3 and not p.single
    p = load_point(write(tmp_path, {"x": x, "y": [[0.1], [0.2], [0.3]], "W": W}), NOTES)
    assert p.y.tolist() == [[0.1], [0.2], [0.3]]


def test_scalar_y_for_one_sample(tmp_path):
    assert load_point(write(tmp_path, {"x": [1, 2, 3, 4], "y": 0.5, "W": W}), NOTES).y.tolist() == [[0.5]]


def test_several_outputs(tmp_path):
    spec = Spec(layers=(2, 3), bias=True)
    data = {"x": [[1, 2], [3, 4]], "y": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], "W": [[[1, 2, 3], [4, 5, 6]]], "b": [[7, 8, 9]]}
    p = load_point(write(tmp_path, data), spec)
    assert p.y.shape == (2, 3) and p.b[0].tolist() == [7, 8, 9]


def test_one_input_flat_x_is_one_number_a_sample(tmp_path):
    spec = Spec(layers=(1, 1), activations="linear")
    p = from_mapping({"x": [0.1, 0.2, 0.3], "y": [1, 2, 3], "W": [[[2.0]]]}, spec)
    assert p.x.tolist() == [[0.1], [0.2], [0.3]] and not p.single
    p = from_mapping({"x": [0.1], "y": 1, "W": [[[2.0]]]}, spec)
    assert p.x.tolist() == [[0.1]] and p.single


TOML_POINT = """
x = [[1, 2, 3, 4], [0.5, -1, 0, 2]]
y = [0.25, 0.75]
W = [
  [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9], [1.0, 1.1, 1.2]],
  [[-0.1, -0.2], [-0.3, -0.4], [-0.5, -0.6]],
  [[0.25], [-0.75]],
]
b = [[0.1, 0.2, 0.3], [0.4, 0.5], [0.6]]
"""


def test_toml_with_biases(tmp_path):
    p = load_point(write(tmp_path, TOML_POINT, ".toml"), Spec(bias=True))
    assert p.x.tolist() == [[1, 2, 3, 4], [0.5, -1, 0, 2]] and p.y.tolist() == [[0.25], [0.75]]
    assert [b.tolist() for b in p.b] == [[0.1, 0.2, 0.3], [0.4, 0.5], [0.6]]
    assert [w.shape for w in p.W] == [(4, 3), (3, 2), (2, 1)]


def test_json_and_toml_give_the_same_point(tmp_path):
    from_toml = load_point(write(tmp_path, TOML_POINT, ".toml"), Spec(bias=True))
    data = {"x": [[1, 2, 3, 4], [0.5, -1, 0, 2]], "y": [0.25, 0.75], "W": W, "b": [[0.1, 0.2, 0.3], [0.4, 0.5], [0.6]]}
    from_json = load_point(write(tmp_path, data), Spec(bias=True))
    assert from_toml.to_json() == from_json.to_json()


def error(data, spec=NOTES):
    with pytest.raises(GradproofError) as caught:
        from_mapping(data, spec)
    return str(caught.value)


@pytest.mark.parametrize("data, expected", [
    ({"x": [1, 2, 3], "y": [0.5], "W": W}, "POINT field 'x' has shape [3]; expected [4] or [N][4]"),
    ({"x": [[1, 2, 3, 4], [1, 2, 3]], "y": [0.5, 0.5], "W": W}, "POINT field 'x' must be numbers of shape [4] or [N][4]"),
    ({"x": [[[1, 2, 3, 4]]], "y": [0.5], "W": W}, "POINT field 'x' has shape [1, 1, 4]; expected [4] or [N][4]"),
    ({"x": [1, 2, 3, 4], "y": [0.5, 0.5], "W": W}, "POINT field 'y' has 2 samples but 'x' has 1"),
    ({"x": [[1, 2, 3, 4]] * 3, "y": [0.5, 0.5], "W": W}, "POINT field 'y' has 2 samples but 'x' has 3"),
    ({"x": [1, 2, 3, 4], "y": [[0.5, 0.5]], "W": W}, "POINT field 'y' has shape [1, 2]; expected [1] or [N][1]"),
    ({"x": [1, 2, 3, 4], "y": [0.5], "W": W[:2]}, "POINT field 'W' must be a list of 3 matrices (shapes 4x3, 3x2, 2x1)"),
    ({"x": [1, 2, 3, 4], "y": [0.5], "W": 1.0}, "POINT field 'W' must be a list of 3 matrices"),
    ({"x": [1, 2, 3, 4], "y": [0.5], "W": [W[1], W[0], W[2]]}, "POINT field 'W[0]' (w^1) has shape 3x2; expected 4x3"),
    ({"x": [1, 2, 3, 4], "y": [0.5], "W": [W[0], W[1], [0.25, -0.75]]}, "POINT field 'W[2]' (w^3) has shape [2]; expected 2x1"),
    ({"x": [1, 2, 3, 4], "y": [0.5], "W": [W[0], [[1, 2], [3]], W[2]]}, "POINT field 'W[1]' must be numbers of shape 3x2"),
    ({"x": ["a", 2, 3, 4], "y": [0.5], "W": W}, "POINT field 'x' must be numbers"),
    ({"x": [True, 2, 3, 4], "y": [0.5], "W": W}, "POINT field 'x' must be numbers"),
    ({"x": [1, 2, 3, None], "y": [0.5], "W": W}, "POINT field 'x' holds a value that is not finite"),
    ({"y": [0.5], "W": W}, "POINT field 'x' is missing"),
    ({"x": [1, 2, 3, 4], "W": W}, "POINT field 'y' is missing"),
    ({"x": [1, 2, 3, 4], "y": [0.5]}, "POINT field 'W' is missing"),
    ({"x": [1, 2, 3, 4], "y": [0.5], "W": W, "w": W}, "unknown POINT field 'w'; valid: x, y, W, b"),
    ({"x": [1, 2, 3, 4], "y": [0.5], "W": W, "b": [[0, 0, 0], [0, 0], [0]]},
     "POINT field 'b' given but the spec has no biases (add --bias)"),
    ([1, 2, 3], "a POINT is a table with fields x, y, W (and b)"),
])
def test_bad_points(data, expected):
    assert expected in error(data)


@pytest.mark.parametrize("b, expected", [
    (None, "POINT field 'b' is missing"),
    ([[0, 0, 0], [0, 0]], "POINT field 'b' must be a list of 3 vectors (lengths 3, 2, 1)"),
    ([[0, 0], [0, 0], [0]], "POINT field 'b[0]' (b^1) has shape [2]; expected [3]"),
    ([[0, 0, 0], [[0, 0]], [0]], "POINT field 'b[1]' (b^2) has shape [1, 2]; expected [2]"),
    ([[0, 0, 0], [0, 0], 0.5], "POINT field 'b[2]' (b^3) has shape a single number; expected [1]"),
])
def test_bad_biases(b, expected):
    data = {"x": [1, 2, 3, 4], "y": [0.5], "W": W}
    if b is not None:
        data["b"] = b
    assert expected in error(data, Spec(bias=True))


def test_file_errors(tmp_path):
    with pytest.raises(GradproofError, match="POINT file .* not found"):
        load_point(tmp_path / "none.json", NOTES)
    bad = tmp_path / "bad.json"
    bad.write_text('{"x": [1, 2,, 3]}')
    with pytest.raises(GradproofError, match=r"bad.json: not valid JSON: .*line 1 column 13"):
        load_point(bad, NOTES)
    bad = tmp_path / "bad.toml"
    bad.write_text("x = [1, 2\ny = 3\n")
    with pytest.raises(GradproofError, match=r"bad.toml: not valid TOML: .*line 2"):
        load_point(bad, NOTES)
    with pytest.raises(GradproofError, match=r"point.json: POINT field 'W\[0\]' \(w\^1\) has shape 3x2"):
        load_point(write(tmp_path, {"x": [1, 2, 3, 4], "y": 1, "W": [W[1], W[1], W[2]]}), NOTES)


def test_bad_point_on_the_command_line(capsys, tmp_path):
    path = write(tmp_path, {"x": [1, 2, 3], "y": [0.5], "W": W})
    assert main(["derive", "--at", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert captured.err.splitlines() == [f"gradproof derive: error: {path}: POINT field 'x' has shape [3]; expected [4] or [N][4]"]
