"""Training: initialisation, the update rule, mini-batches, convergence, L1/L2, reproducibility."""
import io
import json
import sys

import numpy as np
import pytest

from gradproof.numeric.backprop import backprop
from gradproof.numeric.data import Dataset, load_data
from gradproof.numeric.errors import GradproofError
from gradproof.numeric.init import INITS, init_params
from gradproof.numeric.point import Point
from gradproof.numeric.regularizations import soft_threshold
from gradproof.numeric.spec import Spec
from gradproof.numeric.train import train, update
from gradproof.symbolic.cli import main


def run_json(capsys, argv):
    assert main(argv) == 0
    captured = capsys.readouterr()
    # no progress bar when stderr is not a terminal: only the files written are announced
    assert all(line.startswith("wrote ") for line in captured.err.splitlines()), captured.err
    return json.loads(captured.out)


def test_defaults_lower_the_notes_loss_by_90_percent(capsys):
    result = run_json(capsys, ["train", "--data", "builtin:notes", "--json"])
    assert set(result) == {"epochs_run", "converged", "loss_history", "final_loss", "zero_weights", "accuracy",
                           "validation_accuracy", "params"}
    assert result["accuracy"] is None and result["validation_accuracy"] is None      # squared loss: no classes
    assert result["epochs_run"] <= 200
    assert result["final_loss"] == result["loss_history"][-1]
    assert result["final_loss"] <= 0.1 * result["loss_history"][0]
    assert set(result["params"]) == {"W", "b"} and result["params"]["b"] is None
    assert [np.shape(w) for w in result["params"]["W"]] == [(4, 3), (3, 2), (2, 1)]


def test_same_seed_is_bit_identical_and_another_seed_differs(capsys):
    argv = ["train", "--data", "builtin:notes", "--epochs", "5", "--json", "--bias"]
    first = run_json(capsys, argv + ["--seed", "3"])
    again = run_json(capsys, argv + ["--seed", "3"])
    other = run_json(capsys, argv + ["--seed", "4"])
    assert first == again
    assert first["params"] != other["params"]


def test_l1_gives_exact_zeros_and_counts_them(capsys):
    result = run_json(capsys, ["train", "--data", "builtin:notes", "--reg", "l1", "--lam", "0.5", "--json"])
    zeros = sum(w == 0.0 for matrix in result["params"]["W"] for row in matrix for w in row)
    assert result["zero_weights"] == zeros > 0
    plain = run_json(capsys, ["train", "--data", "builtin:notes", "--json"])
    assert plain["zero_weights"] == 0


def test_l2_shrinks_the_weights():
    spec = Spec()
    data = load_data("builtin:notes", spec)
    plain = train(spec, data, epochs=30)
    l2 = train(spec.replace(regularization="l2", lam=0.05), data, epochs=30)
    assert sum((w ** 2).sum() for w in l2.W) < sum((w ** 2).sum() for w in plain.W)


def test_soft_threshold():
    w = np.array([-2.0, -0.3, 0.0, 0.2, 0.31, 5.0])
    assert soft_threshold(w, 0.3).tolist() == pytest.approx([-1.7, 0.0, 0.0, 0.0, 0.01, 4.7])
    assert np.count_nonzero(soft_threshold(w, 0.3) == 0) == 3


def test_gd_epoch_is_one_full_batch_step():
    """--batch-size N: one epoch = one update w - eta dL/dw from one forward pass over all samples."""
    spec = Spec(layers=(2, 3, 1), activations=("tanh", "linear"), bias=True)
    rng = np.random.default_rng(0)
    data = Dataset(rng.normal(size=(12, 2)), rng.normal(size=(12, 1)), "test")
    W, b = init_params(spec, "he", seed=1)
    result = train(spec, data, epochs=1, batch_size=12, lr=0.05, params=(W, b))
    grads = backprop(spec, Point(data.x, data.y, W, b))
    for k in range(2):
        np.testing.assert_allclose(result.W[k], W[k] - 0.05 * grads.dW[k], rtol=1e-13)
        np.testing.assert_allclose(result.b[k], b[k] - 0.05 * grads.db[k], rtol=1e-13)


def test_sgd_epoch_is_one_update_per_sample_in_shuffled_order():
    spec = Spec(layers=(2, 2, 1), activations=("sigmoid", "linear"))
    rng = np.random.default_rng(5)
    data = Dataset(rng.normal(size=(6, 2)), rng.normal(size=(6, 1)), "test")
    result = train(spec, data, epochs=2, batch_size=1, lr=0.1, init="uniform", seed=9)
    # mirrored by hand: the same generator draws the weights, then one permutation per epoch
    gen = np.random.default_rng(9)
    W, _ = init_params(spec, "uniform", rng=gen)
    for _ in range(2):
        for n in gen.permutation(6):
            grads = backprop(spec, Point(data.x[[n]], data.y[[n]], W))
            W = [w - 0.1 * g for w, g in zip(W, grads.dW)]
    for a, b in zip(result.W, W):
        assert np.array_equal(a, b)
    assert len(result.loss_history) == 3


def test_stops_when_the_weights_stop_moving():
    spec = Spec()
    data = load_data("builtin:notes", spec)
    result = train(spec, data, epochs=50, lr=1e-6, tol=1e-3)
    assert result.converged and result.epochs_run == 1
    assert not train(spec, data, epochs=3).converged


def test_update_can_freeze_biases():
    spec = Spec(layers=(2, 2), bias=True)
    W, _b = init_params(spec, seed=0)
    point = Point(np.ones((1, 2)), np.zeros((1, 2)), W, [np.array([0.5, -0.5])])
    grads = backprop(spec, point)
    W_new, b_new = update(spec, point.W, point.b, grads, 0.1, freeze_bias=True)
    assert b_new[0].tolist() == [0.5, -0.5] and not np.array_equal(W_new[0], W[0])


@pytest.mark.parametrize("method", INITS)
def test_initialisations_have_their_spread(method):
    spec = Spec(layers=(400, 300), activations=("linear",))
    W, _ = init_params(spec, method, seed=0)
    expected = {"uniform": 1 / np.sqrt(3 * 400), "normal": 1 / np.sqrt(400),
                "xavier": np.sqrt(2 / 700), "he": np.sqrt(2 / 400)}[method]
    assert W[0].std() == pytest.approx(expected, rel=0.02)
    assert abs(W[0].mean()) < 0.05 * expected
    again, _ = init_params(spec, method, seed=0)
    assert np.array_equal(W[0], again[0])


def test_bad_settings_are_errors(capsys):
    spec = Spec()
    data = load_data("builtin:notes", spec)
    for kwargs, message in (({"lr": 0.0}, "--lr must be"), ({"batch_size": 0}, "--batch-size must be"),
                            ({"epochs": 0}, "--epochs must be"), ({"init": "zeros"}, "valid: uniform, normal, xavier, he")):
        with pytest.raises(GradproofError, match=message):
            train(spec, data, **kwargs)
    assert main(["train", "--data", "builtin:sine", "--net", "1-4-1", "--act", "linear", "--lr", "1e3"]) == 2
    assert "the loss became" in capsys.readouterr().err


def test_plot_and_save(tmp_path, capsys):
    plot, save = tmp_path / "loss.png", tmp_path / "params.json"
    result = run_json(capsys, ["train", "--data", "builtin:notes", "--epochs", "20", "--bias",
                               "--plot", str(plot), "--save", str(save), "--json"])
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads(save.read_text())
    assert saved["W"] == result["params"]["W"] and saved["b"] == result["params"]["b"]
    # the saved file is a POINT: step evaluates at the trained weights over the training data
    assert main(["step", "--bias", "--at", str(save), "--lr", "0.1", "--json"]) == 0
    step = json.loads(capsys.readouterr().out)
    assert step["loss_before"] == pytest.approx(result["final_loss"], rel=1e-12)


def test_progress_bar_only_on_a_terminal(monkeypatch, capsys):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for extra, expected in (([], True), (["--json"], False)):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        assert main(["train", "--data", "builtin:notes", "--epochs", "3", *extra]) == 0
        assert ("3/3 epochs" in terminal.getvalue()) is expected
        capsys.readouterr()


def test_plot_axes_are_labelled(monkeypatch, tmp_path, capsys):
    from matplotlib.figure import Figure

    labels = []
    original = Figure.savefig

    def record(self, *args, **kwargs):
        ax = self.axes[0]
        labels.append((ax.get_xlabel(), ax.get_ylabel(), ax.get_title(), len(ax.lines[0].get_xdata())))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", record)
    assert main(["train", "--data", "builtin:notes", "--epochs", "4", "--plot", str(tmp_path / "l.png")]) == 0
    (xlabel, ylabel, title, points), = labels
    assert xlabel.startswith("epoch") and ylabel.startswith("loss L (squared, sum") and "builtin:notes" in title
    assert points == 5


def test_trains_from_a_csv_file(tmp_path, capsys):
    path = tmp_path / "xor.csv"
    path.write_text("a,b,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    result = run_json(capsys, ["train", "--net", "2-4-1", "--act", "tanh,sigmoid", "--bias", "--loss", "bce",
                               "--data", str(path), "--epochs", "300", "--batch-size", "4", "--lr", "2", "--json"])
    assert result["final_loss"] < 0.1 * result["loss_history"][0]


def test_no_shuffle_walks_the_samples_in_order():
    spec = Spec(layers=(2, 2, 1), activations=("sigmoid", "linear"))
    rng = np.random.default_rng(5)
    data = Dataset(rng.normal(size=(6, 2)), rng.normal(size=(6, 1)), "test")
    W0, _ = init_params(spec, "uniform", seed=3)
    result = train(spec, data, epochs=3, batch_size=2, lr=0.1, params=(W0, None), shuffle=False)
    W = [w.copy() for w in W0]
    for _ in range(3):
        for first in (0, 2, 4):
            rows = [first, first + 1]
            grads = backprop(spec, Point(data.x[rows], data.y[rows], W))
            W = [w - 0.1 * g for w, g in zip(W, grads.dW)]
    for a, b in zip(result.W, W):
        assert np.array_equal(a, b)


def test_gd_does_not_depend_on_shuffling():
    spec = Spec(layers=(2, 3, 1), activations=("tanh", "linear"), bias=True)
    rng = np.random.default_rng(1)
    data = Dataset(rng.normal(size=(10, 2)), rng.normal(size=(10, 1)), "test")
    start = init_params(spec, "he", seed=2)
    runs = [train(spec, data, epochs=5, batch_size=10, lr=0.05, params=start, seed=s, shuffle=shuffle)
            for s, shuffle in ((0, True), (1, True), (0, False))]
    for other in runs[1:]:
        assert other.loss_history == runs[0].loss_history
        assert all(np.array_equal(a, b) for a, b in zip(other.W + other.b, runs[0].W + runs[0].b))


# ---- train --at POINT --no-shuffle: a hand-written SGD loop, epoch by epoch ---------------------------------------
SMALL_CSV = "a,b,y\n0.5,-1.0,0.3\n1.5,0.2,0.9\n-0.7,0.4,0.1\n2.0,-0.3,0.6\n"
START = {"x": [[0.0, 0.0]], "y": [[0.0]], "W": [[[0.1, -0.2], [0.3, 0.4]], [[0.5], [-0.6]]], "b": [[0.1, 0.0], [0.2]]}


def _sigmoid(z):
    import math
    return 1.0 / (1.0 + math.exp(-z))


def _hand_forward(W1, b1, W2, b2, x):
    h = [_sigmoid(x[0] * W1[0][j] + x[1] * W1[1][j] + b1[j]) for j in range(2)]
    return h, _sigmoid(h[0] * W2[0][0] + h[1] * W2[1][0] + b2[0])


def _hand_loss(params, rows):
    return sum((y - _hand_forward(*params, x)[1]) ** 2 for x, y in rows)


def _hand_sgd_epoch(params, rows, lr):
    """One SGD epoch on a 2-2-1 sigmoid network with biases and the squared loss, in file order, by hand."""
    W1, b1, W2, b2 = params
    for x, y in rows:
        h, out = _hand_forward(W1, b1, W2, b2, x)
        g_out = -2 * (y - out) * out * (1 - out)                    # dL/dz_21
        g_h = [g_out * W2[j][0] * h[j] * (1 - h[j]) for j in range(2)]   # dL/dz_1j, with the old W2
        W2 = [[W2[j][0] - lr * g_out * h[j]] for j in range(2)]
        b2 = [b2[0] - lr * g_out]
        W1 = [[W1[i][j] - lr * g_h[j] * x[i] for j in range(2)] for i in range(2)]
        b1 = [b1[j] - lr * g_h[j] for j in range(2)]
    return W1, b1, W2, b2


def _files(tmp_path):
    data, start = tmp_path / "small.csv", tmp_path / "start.json"
    data.write_text(SMALL_CSV)
    start.write_text(json.dumps(START))
    return str(data), str(start)


def test_train_at_a_point_without_shuffling_is_a_hand_written_sgd_loop(tmp_path, capsys):
    data, start = _files(tmp_path)
    epochs, lr = 6, 0.7
    result = run_json(capsys, ["train", "--net", "2-2-1", "--bias", "--data", data, "--at", start, "--no-shuffle",
                               "--batch-size", "1", "--epochs", str(epochs), "--lr", str(lr), "--json"])
    rows = [([0.5, -1.0], 0.3), ([1.5, 0.2], 0.9), ([-0.7, 0.4], 0.1), ([2.0, -0.3], 0.6)]
    params = (START["W"][0], START["b"][0], START["W"][1], START["b"][1])
    assert result["loss_history"][0] == pytest.approx(_hand_loss(params, rows), abs=1e-12)
    for epoch in range(1, epochs + 1):
        params = _hand_sgd_epoch(params, rows, lr)
        assert result["loss_history"][epoch] == pytest.approx(_hand_loss(params, rows), abs=1e-12), epoch
    W1, b1, W2, b2 = params
    np.testing.assert_allclose(result["params"]["W"][0], W1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result["params"]["W"][1], W2, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result["params"]["b"][0], b1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result["params"]["b"][1], b2, rtol=0, atol=1e-12)
    # shuffled (the default), the same start walks another order and ends elsewhere
    shuffled = run_json(capsys, ["train", "--net", "2-2-1", "--bias", "--data", data, "--at", start,
                                 "--batch-size", "1", "--epochs", str(epochs), "--lr", str(lr), "--json"])
    assert shuffled["params"] != result["params"]


def test_gd_from_a_point_is_deterministic_with_or_without_shuffling(tmp_path, capsys):
    data, start = _files(tmp_path)
    argv = ["train", "--net", "2-2-1", "--bias", "--data", data, "--at", start, "--batch-size", "4", "--epochs", "5",
            "--lr", "0.5", "--json"]
    runs = [run_json(capsys, argv + extra) for extra in ([], ["--seed", "7"], ["--no-shuffle"], [])]
    assert all(run == runs[0] for run in runs[1:])


def test_train_at_keeps_save_and_plot(tmp_path, capsys):
    data, start = _files(tmp_path)
    plot, save = tmp_path / "loss.png", tmp_path / "trained.json"
    result = run_json(capsys, ["train", "--net", "2-2-1", "--bias", "--data", data, "--at", start, "--epochs", "3",
                               "--plot", str(plot), "--save", str(save), "--json"])
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(save.read_text())["W"] == result["params"]["W"]
    assert len(result["loss_history"]) == 4


def test_train_at_a_point_of_another_shape_is_one_line(tmp_path, capsys):
    data, start = _files(tmp_path)
    assert main(["train", "--net", "2-3-1", "--bias", "--data", data, "--at", start]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has shape 2x2; expected 2x3" in err
