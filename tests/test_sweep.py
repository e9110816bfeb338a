"""Regularization sweeps: the fixed split, the networks per depth, the losses, exact zeros under L1, the CLI."""
import csv
import json

import numpy as np
import pytest

from gradproof.numeric.backprop import forward
from gradproof.numeric.data import Dataset, load_data
from gradproof.numeric.init import init_params
from gradproof.numeric.point import Point
from gradproof.numeric.spec import Spec
from gradproof.numeric.sweep import mean_data_loss, network, split, sweep
from gradproof.numeric.train import train
from gradproof.symbolic.cli import main

LAMS = [0.0, 1e-3, 1e-2, 3e-2, 1e-1]


@pytest.fixture(scope="module")
def small():
    """60 samples of the notes' teacher data: enough to see L1 prune, small enough for CI."""
    data = load_data("builtin:notes", Spec())
    return Dataset(data.x[:60], data.y[:60], "notes[:60]")


@pytest.fixture(scope="module")
def l1_rows(small):
    return {seed: sweep(Spec(), small, "l1", LAMS, depths=[3], epochs=30, seed=seed)[0] for seed in (0, 1)}


def test_l1_zeros_never_decrease_with_lambda_and_do_grow(l1_rows):
    for seed, rows in l1_rows.items():
        zeros = [r.zero_weights for r in rows]
        assert zeros == sorted(zeros), f"seed {seed}: {zeros}"
        assert zeros[0] == 0 and zeros[-1] > zeros[0], f"seed {seed}: {zeros}"
        assert all(0 <= z <= r.weights == 20 for z, r in zip(zeros, rows))


def test_validation_loss_reacts_to_lambda(l1_rows):
    for rows in l1_rows.values():
        losses = [r.validation_loss for r in rows]
        # the strongest penalty prunes most weights: the fit (and so the validation loss) gets clearly worse
        assert max(losses) > 2 * min(losses)
        assert losses[-1] > losses[0]


def test_lambda_zero_is_plain_training_on_the_training_split(small, l1_rows):
    train_set, validation = split(small, 0.25, seed=1)
    plain = train(Spec(), train_set, epochs=30, seed=1)
    expected = lambda data: float(np.mean((data.y - forward(Spec(), Point(data.x, data.y, plain.W)).O[-1]) ** 2))
    row = l1_rows[1][0]
    assert row.lam == 0 and row.layers == (4, 3, 2, 1)
    assert row.train_loss == pytest.approx(expected(train_set), rel=1e-12)
    assert row.validation_loss == pytest.approx(expected(validation), rel=1e-12)


def test_l2_shrinks_without_exact_zeros(small):
    rows, _ = sweep(Spec(), small, "l2", [0.0, 0.1], depths=[2], epochs=10)
    assert [r.zero_weights for r in rows] == [0, 0]
    assert rows[1].train_loss != rows[0].train_loss


def test_split_is_fixed_disjoint_and_complete(small):
    train_set, validation = split(small, 0.25, seed=3)
    again, _ = split(small, 0.25, seed=3)
    other, _ = split(small, 0.25, seed=4)
    assert (train_set.samples, validation.samples) == (45, 15)
    assert np.array_equal(train_set.x, again.x) and not np.array_equal(train_set.x, other.x)
    rows = {tuple(r) for r in np.hstack([train_set.x, train_set.y])} | {tuple(r) for r in np.hstack([validation.x, validation.y])}
    assert rows == {tuple(r) for r in np.hstack([small.x, small.y])}


def test_split_errors_name_the_problem():
    one = Dataset(np.zeros((1, 4)), np.zeros((1, 1)), "one")
    with pytest.raises(Exception, match="needs at least 2"):
        split(one)
    with pytest.raises(Exception, match="strictly between 0 and 1"):
        split(one, fraction=1.0)


def test_depth_counts_weight_layers():
    spec = Spec()
    assert [network(spec, d).layers for d in (1, 2, 3, 5)] == [(4, 1), (4, 3, 1), (4, 3, 2, 1), (4, 3, 2, 2, 2, 1)]
    assert network(spec, 3, width=5).layers == (4, 5, 5, 1)
    mixed = Spec(layers=(1, 4, 1), activations=("tanh", "linear"))
    assert network(mixed, 3).activations == ("tanh", "tanh", "linear")
    assert network(mixed, 1).activations == ("linear",)


def test_mean_data_loss_is_the_mean_squared_error_without_the_penalty():
    spec = Spec(regularization="l2", lam=5.0)
    W, _ = init_params(spec, "he", seed=2)
    rng = np.random.default_rng(0)
    data = Dataset(rng.normal(size=(7, 4)), rng.uniform(size=(7, 1)), "random")
    out = data.x
    for w in W:
        out = 1 / (1 + np.exp(-out @ w))
    assert mean_data_loss(spec, data, W, None) == pytest.approx(float(np.mean((data.y - out) ** 2)), rel=1e-12)


# ---- the command line ------------------------------------------------------------------------------
def write_csv(path, data):
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow([f"x_{i}" for i in range(1, 5)] + ["y"])
        out.writerows(np.hstack([data.x, data.y]).tolist())
    return str(path)


def test_cli_json_and_plot(capsys, tmp_path, small):
    data_path = write_csv(tmp_path / "small.csv", small)
    png = tmp_path / "sweep.png"
    assert main(["sweep", "--data", data_path, "--reg", "l1", "--lam", "0,1e-2,1e-1", "--depths", "1,3",
                 "--epochs", "15", "--plot", str(png), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["regularization"] == "l1" and result["lambdas"] == [0.0, 0.01, 0.1]
    assert result["split"] == {"train": 45, "validation": 15, "fraction": 0.25, "seed": 0}
    assert [(s["depth"], s["lambda"]) for s in result["settings"]] == [(d, l) for d in (1, 3) for l in (0.0, 0.01, 0.1)]
    assert {"train_loss", "validation_loss", "zero_weights"} <= set(result["settings"][0])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_text_names_the_trend(capsys):
    assert main(["sweep", "--data", "builtin:notes", "--reg", "l2", "--lam", "0,0.1", "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "validation loss" in out and "depth 3: lowest validation loss at lambda =" in out


@pytest.mark.parametrize("argv, message", [
    (["--data", "builtin:notes"], "needs --reg l1 or --reg l2"),
    (["--data", "builtin:notes", "--reg", "none"], "needs --reg l1 or --reg l2"),
    (["--data", "builtin:notes", "--reg", "l1", "--width", "4"], "give --depths too"),
    (["--data", "builtin:xor", "--reg", "l1"], "builtin:xor has 2 inputs"),
    (["--data", "builtin:notes", "--reg", "l1", "--init", "glorot"], "unknown initialisation 'glorot'"),
])
def test_bad_arguments_are_errors(capsys, argv, message):
    assert main(["sweep"] + argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("gradproof sweep: error:") and message in err


def test_a_bad_lambda_list_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["sweep", "--data", "builtin:notes", "--reg", "l1", "--lam", "0,x"])
    assert exit_.value.code == 2
    assert "comma-separated list of numbers" in capsys.readouterr().err


# ---- over-fitting on the small built-in sets, over seeds -----------------------------------------------------
SMALL_LAMS = [0.0, 1e-3, 1e-2, 3e-2, 1e-1]
SEEDS = [0, 1, 2, 3, 4]


@pytest.fixture(scope="module")
def notes_small_rows():
    """The notes' own 4-3-2-1 network on builtin:notes-small, 5 seeds; GD (16 samples, batch 16), 100 epochs."""
    data = load_data("builtin:notes-small", Spec())
    return {reg: sweep(Spec(), data, reg, SMALL_LAMS, seeds=SEEDS, epochs=100, lr=1.0)[0] for reg in ("l2", "l1")}


@pytest.mark.parametrize("reg", ["l2", "l1"])
def test_every_seed_validates_best_at_an_interior_lambda(notes_small_rows, reg):
    rows = notes_small_rows[reg]
    for n, seed in enumerate(SEEDS):
        validation = [r.validation_losses[n] for r in rows]
        best = int(np.argmin(validation))
        assert 0 < best < len(SMALL_LAMS) - 1, f"{reg}, seed {seed}: {validation}"


def test_l2_train_loss_rises_with_lambda_for_every_seed(notes_small_rows):
    for n, seed in enumerate(SEEDS):
        train_losses = [r.train_losses[n] for r in notes_small_rows["l2"]]
        assert all(np.diff(train_losses) > 0), f"seed {seed}: {train_losses}"


def test_l1_train_loss_rises_and_zeros_grow_with_lambda(notes_small_rows):
    rows = notes_small_rows["l1"]
    means = [r.train_loss for r in rows]
    assert all(np.diff(means) > 0), means
    zeros = [r.zero_weights for r in rows]
    assert zeros == sorted(zeros) and zeros[0] == 0 and zeros[-1] > zeros[1], zeros
    for n in range(len(SEEDS)):
        counts = [r.zero_counts[n] for r in rows]
        assert counts[0] == 0 < counts[-1] and counts[-1] >= max(counts), counts


def test_means_and_spreads_are_over_the_seeds(notes_small_rows):
    data = load_data("builtin:notes-small", Spec())
    row = notes_small_rows["l2"][2]
    assert row.seeds == tuple(SEEDS) and len(row.train_losses) == len(SEEDS)
    # an independent mean and sample standard deviation, by hand, from single-seed runs
    singles = []
    for seed in SEEDS:
        setting = Spec(regularization="l2", lam=row.lam)
        result = train(setting, data, epochs=100, lr=1.0, seed=seed)
        out = data.validation.x
        for w in result.W:
            out = 1 / (1 + np.exp(-out @ w))
        singles.append(float(np.mean((data.validation.y - out) ** 2)))
    mean = sum(singles) / len(singles)
    std = (sum((v - mean) ** 2 for v in singles) / (len(singles) - 1)) ** 0.5
    assert row.validation_loss == pytest.approx(mean, rel=1e-12)
    assert row.validation_loss_std == pytest.approx(std, rel=1e-9)
    assert row.gap == pytest.approx(row.validation_loss - row.train_loss, rel=1e-12)
    assert row.to_json()["validation_loss_std"] == row.validation_loss_std


def test_a_validation_set_of_its_own_is_used_whole(small):
    data = load_data("builtin:notes-small", Spec())
    _rows, (train_set, validation) = sweep(Spec(), data, "l2", [0.0], epochs=1)
    assert train_set.samples == 16 and validation.samples == 1000
    assert np.array_equal(validation.x, data.validation.x)


def test_capacity_sweeps_depth_by_width(small):
    rows, _ = sweep(Spec(), small, "l2", [0.0, 0.1], depths=[1, 2], widths=[2, 5], epochs=2, seeds=[0, 1])
    assert [(r.depth, r.width, r.layers, r.lam) for r in rows] == [
        (1, 2, (4, 1), 0.0), (1, 2, (4, 1), 0.1), (1, 5, (4, 1), 0.0), (1, 5, (4, 1), 0.1),
        (2, 2, (4, 2, 1), 0.0), (2, 2, (4, 2, 1), 0.1), (2, 5, (4, 5, 1), 0.0), (2, 5, (4, 5, 1), 0.1)]
    assert all(len(r.params) == 2 and r.seeds == (0, 1) for r in rows)


def test_cli_over_seeds_and_widths_gives_means_spreads_and_per_seed_figures(capsys, tmp_path):
    png = tmp_path / "sweep.png"
    assert main(["sweep", "--data", "builtin:notes-small", "--reg", "l1", "--lam", "0,0.05", "--depths", "2",
                 "--widths", "2,3", "--seeds", "0,1,2", "--epochs", "5", "--plot", str(png), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["seeds"] == [0, 1, 2] and result["widths"] == [2, 3]
    assert result["split"] == {"train": 16, "validation": 1000, "fraction": None, "seed": 0}
    rows = result["settings"]
    assert [(r["layers"], r["lambda"]) for r in rows] == [([4, 2, 1], 0.0), ([4, 2, 1], 0.05), ([4, 3, 1], 0.0),
                                                          ([4, 3, 1], 0.05)]
    for row in rows:
        per_seed = row["validation_loss_per_seed"]
        assert len(per_seed) == 3 and row["validation_loss"] == pytest.approx(np.mean(per_seed), rel=1e-12)
        assert row["validation_loss_std"] == pytest.approx(np.std(per_seed, ddof=1), rel=1e-9)
        assert row["train_loss_std"] == pytest.approx(np.std(row["train_loss_per_seed"], ddof=1), rel=1e-9)
        assert row["gap"] == pytest.approx(row["validation_loss"] - row["train_loss"], rel=1e-12)
        assert row["zero_weights"] == pytest.approx(np.mean(row["zero_weights_per_seed"]))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_text_names_the_best_lambda_per_seed(capsys):
    assert main(["sweep", "--data", "builtin:notes-small", "--reg", "l2", "--lam", "0,0.1", "--seeds", "0,1",
                 "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "16 training and 1000 validation samples of its own" in out
    assert "lowest validation loss per seed: seed 0:" in out and " ± " in out


def test_cli_fits_draws_three_curves_over_a_1d_set(capsys, tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    drawn = []
    original = Figure.savefig

    def record(self, *args, **kwargs):
        drawn.append([line.get_label() for line in self.axes[0].lines])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", record)
    png = tmp_path / "fits.png"
    assert main(["sweep", "--net", "1-4-1", "--act", "tanh,linear", "--bias", "--data", "builtin:sine-small",
                 "--reg", "l2", "--lam", "0,0.01,1", "--epochs", "20", "--lr", "0.01", "--fits", str(png)]) == 0
    capsys.readouterr()
    labels, = drawn
    assert [label.split(" λ")[0] for label in labels if "λ" in label] == ["smallest", "best", "largest"]
    assert any(label.startswith("training samples (12)") for label in labels)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_fits_needs_one_input_and_one_output(capsys, tmp_path):
    assert main(["sweep", "--data", "builtin:notes-small", "--reg", "l2", "--fits", str(tmp_path / "f.png")]) == 2
    assert "one input and one output" in capsys.readouterr().err


def test_an_l2_sweep_draws_no_empty_sparsity_panel(capsys, tmp_path, monkeypatch):
    """L2 sets no weight exactly to 0: the plot is the loss panel alone, and says why; its three networks' legend sits
    below the axes, clear of the curves."""
    from matplotlib.figure import Figure

    drawn = []
    original = Figure.savefig

    def record(self, *args, **kwargs):
        self.canvas.draw()
        ax = self.axes[0]
        drawn.append((len(self.axes), ax.get_title(), ax.get_legend().get_window_extent().y1,
                      ax.get_window_extent().y0))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", record)
    assert main(["sweep", "--data", "builtin:notes-small", "--reg", "l2", "--lam", "0,0.1", "--depths", "1,2,3",
                 "--epochs", "3", "--plot", str(tmp_path / "s.png"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert all(r["zero_weights"] == 0 for r in result["settings"])
    (panels, title, legend_top, axes_bottom), = drawn
    assert panels == 1 and "no weight exactly 0" in title
    assert legend_top < axes_bottom
