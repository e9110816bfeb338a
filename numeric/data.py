"""Training data: a CSV file, or a built-in generated set.

CSV: a header row, then one sample per row; the first n_0 columns are the inputs x, the last n_L
the targets y. Errors name the row (counted from the first row after the header), the line and the
column.

Built-in sets (fixed: the same numbers every time):
    builtin:notes   x in R^4 uniform in [-2, 2]; y from a fixed 4-3-2-1 sigmoid teacher network (the
                    notes' architecture, no biases) plus Gaussian noise of standard deviation 0.01; 200 rows
    builtin:xor     the four points of XOR: x in {0, 1}^2, y = x_1 xor x_2
    builtin:sine    x evenly spaced in [-pi, pi], y = sin x; 64 rows
    builtin:spiral  three classes on three interleaved spiral arms (CS231n's case study, fixed noise): x in R^2,
                    y one-hot in R^3 (for softmax with categorical cross-entropy); 300 rows, and 300 validation
                    rows drawn the same way, kept apart as `Dataset.validation`

Made to over-fit (few noisy training samples, and a large validation set drawn from the same
distribution, kept apart as `Dataset.validation`; `gradproof sweep` validates on it instead of
holding out part of the few training samples):
    builtin:notes-small   16 rows from the notes' teacher network as builtin:notes, noise of standard
                          deviation 0.15 (most of the spread of the teacher's outputs, 0.2); 1000 validation rows
    builtin:sine-small    12 rows, x uniform in [-pi, pi] (one in each twelfth of it), y = sin x plus noise
                          of standard deviation 0.25; 1000 validation rows drawn the same way

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.numeric.data import load_data
>>> data = load_data("builtin:xor", Spec(layers=(2, 2, 1)))
>>> data.x.tolist(), data.y.ravel().tolist()
([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0])
>>> load_data("builtin:iris", Spec())
Traceback (most recent call last):
...
gradproof.numeric.errors.GradproofError: unknown built-in data set 'iris'; valid: notes, xor, sine, notes-small, sine-small, spiral
"""
import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import GradproofError, unknown
from .files import read_text
from .losses import LOSSES, simplex_problem

BUILTIN_PREFIX = "builtin:"

# The teacher of builtin:notes: W^k[i-1][j-1] = w^k_ij, sigmoid everywhere, no biases.
TEACHER_W = (
    ((1.2, -0.8, 0.5), (-0.7, 1.1, -1.3), (0.9, 0.4, -0.6), (-1.0, -0.5, 1.4)),
    ((2.0, -1.5), (-1.8, 2.2), (1.6, 1.0)),
    ((2.5,), (-2.0,)),
)
DATA_SEED = 20150317          # the data sets are fixed; --seed varies the training, not the data


@dataclass
class Dataset:
    """Samples: x (N, n_0) and y (N, n_L); `name` says where they came from; `columns` the header;
    `validation` a Dataset from the same distribution kept apart from these samples (or None)."""

    x: np.ndarray
    y: np.ndarray
    name: str
    columns: tuple = ()
    validation: "Dataset | None" = None

    @property
    def samples(self):
        return self.x.shape[0]


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def teacher(x):
    """The output of the notes' teacher network (TEACHER_W, sigmoid everywhere) for inputs x (N, 4)."""
    out = x
    for w in TEACHER_W:
        out = _sigmoid(out @ np.array(w))
    return out


def notes_data(samples=200, noise=0.01, rng=None):
    """x in R^4 and y from the fixed 4-3-2-1 sigmoid teacher network, plus noise."""
    rng = np.random.default_rng(DATA_SEED) if rng is None else rng
    x = rng.uniform(-2.0, 2.0, (samples, 4))
    out = teacher(x)
    return x, out + rng.normal(0.0, noise, out.shape)


def xor_data():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return x, np.array([[0.0], [1.0], [1.0], [0.0]])


def sine_data(samples=64):
    x = np.linspace(-math.pi, math.pi, samples).reshape(-1, 1)
    return x, np.sin(x)


def sine_noisy(samples=64, noise=0.0, rng=None):
    """x uniform in [-pi, pi], drawn one per equal slice of the interval (stratified, so that few samples
    still cover it), in random order; y = sin x plus Gaussian noise."""
    rng = np.random.default_rng(DATA_SEED) if rng is None else rng
    slices = rng.permutation(samples) + rng.uniform(0.0, 1.0, samples)
    x = (-math.pi + 2 * math.pi * slices / samples).reshape(-1, 1)
    return x, np.sin(x) + rng.normal(0.0, noise, x.shape)


SPIRAL_CLASSES, SPIRAL_PER_CLASS = 3, 100


def spiral_arms(per_class, rng):
    """CS231n's spiral: K arms around the origin, one per class, radius 0 to 1, angle 4 radians per arm plus
    Gaussian noise of 0.2; x in R^2, y one-hot, the classes interleaved (sample n is of class n mod K)."""
    K = SPIRAL_CLASSES
    r = np.tile(np.linspace(0.0, 1.0, per_class), K)
    arm = np.repeat(np.arange(K), per_class)
    t = np.linspace(0.0, 4.0, per_class)[None, :].repeat(K, 0).ravel() + 4.0 * arm + rng.normal(0.0, 0.2, K * per_class)
    x = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    order = np.arange(K * per_class).reshape(K, per_class).T.ravel()
    return x[order], np.eye(K)[arm[order]]


def spiral_data():
    """300 training rows (100 per class), then 300 validation rows drawn the same way with their own noise."""
    rng = np.random.default_rng(DATA_SEED)
    return (*spiral_arms(SPIRAL_PER_CLASS, rng), *spiral_arms(SPIRAL_PER_CLASS, rng))


SMALL_SAMPLES, VALIDATION_SAMPLES = {"notes": 16, "sine": 12}, 1000
SMALL_NOISE = {"notes": 0.15, "sine": 0.25}
# the draw of the small sets (the generator's seed is DATA_SEED + SMALL_DRAW). With 16 rows the draw matters: of
# the first four draws, three show the over-fitting (an interior best lambda for every training seed) on the
# notes' own network; this is one of them.
SMALL_DRAW = 2


def small_data(kind):
    """(x, y, x_validation, y_validation): few noisy training rows, then many validation rows, from one generator."""
    make = {"notes": notes_data, "sine": sine_noisy}[kind]
    rng = np.random.default_rng(DATA_SEED + SMALL_DRAW)
    return (*make(SMALL_SAMPLES[kind], SMALL_NOISE[kind], rng), *make(VALIDATION_SAMPLES, SMALL_NOISE[kind], rng))


BUILTINS = {"notes": notes_data, "xor": xor_data, "sine": sine_data,
            "notes-small": lambda: small_data("notes"), "sine-small": lambda: small_data("sine"), "spiral": spiral_data}


def _builtin(name, spec):
    try:
        make = BUILTINS[name]
    except KeyError:
        raise unknown("built-in data set", name, BUILTINS) from None
    x, y, *held_out = make()
    n_in, n_out = x.shape[1], y.shape[1]
    if (spec.layers[0], spec.layers[-1]) != (n_in, n_out):
        raise GradproofError(
            f"builtin:{name} has {n_in} input{'s' * (n_in != 1)} and {n_out} target{'s' * (n_out != 1)}, "
            f"but the {spec.layers_text} network takes {spec.layers[0]} and gives {spec.layers[-1]}; "
            f"use e.g. --net {n_in}-3-{n_out}")
    columns = tuple(f"x_{i}" for i in range(1, n_in + 1)) + tuple(f"y_{j}" for j in range(1, n_out + 1))
    validation = Dataset(*held_out, f"{BUILTIN_PREFIX}{name} (validation)", columns) if held_out else None
    return Dataset(x, y, f"{BUILTIN_PREFIX}{name}", columns, validation)


def _number(text, where):
    try:
        value = float(text)
    except ValueError:
        raise GradproofError(f"{where}: {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise GradproofError(f"{where}: {text.strip()!r} is not a finite number")
    return value


def _read_rows(path):
    text = read_text(path, "data file", newline="")
    try:
        return [(line, row) for line, row in enumerate(csv.reader(io.StringIO(text)), start=1)
                if any(c.strip() for c in row)]
    except csv.Error as error:
        raise GradproofError(f"cannot read data file {str(path)!r}: {error}") from None


def read_csv(path, spec):
    """Samples from a CSV file with a header; the last n_L columns are the targets."""
    path = Path(path)
    rows = _read_rows(path)
    n_in, n_out = spec.layers[0], spec.layers[-1]
    width = n_in + n_out
    if not rows:
        raise GradproofError(f"{path}: the file is empty; it needs a header row, then one row of numbers per sample")
    _, header = rows[0]
    header = [name.strip() for name in header]
    if len(header) != width:
        raise GradproofError(
            f"{path}: the header has {len(header)} column{'s' * (len(header) != 1)} ({', '.join(header)}); "
            f"the {spec.layers_text} network needs {width}: {n_in} input{'s' * (n_in != 1)}, "
            f"then {n_out} target{'s' * (n_out != 1)}")
    if len(rows) == 1:
        raise GradproofError(f"{path}: no data rows after the header")
    values = np.empty((len(rows) - 1, width))
    for r, (line, row) in enumerate(rows[1:], start=1):
        if len(row) != width:
            raise GradproofError(f"{path}, row {r} (line {line}): {len(row)} column{'s' * (len(row) != 1)}, "
                                 f"but the header has {width}")
        for c, text in enumerate(row):
            values[r - 1, c] = _number(text, f"{path}, row {r} (line {line}), column {c + 1} ({header[c]!r})")
    return Dataset(values[:, :n_in], values[:, n_in:], str(path), tuple(header))


def _check_targets(data, spec):
    """A loss with a target range (BCE: [0, 1], from the loss table) needs every target in it, and one that needs
    probability vectors (categorical cross-entropy) rows of targets >= 0 summing to 1; name the first that is not."""
    if LOSSES[spec.loss].simplex:
        problem = simplex_problem(data.y)
        if problem is not None:
            r, what = problem
            raise GradproofError(f"{data.name}, row {r + 1}: {what}; loss {spec.loss!r} needs each row's targets to "
                                 "be a probability vector (entries >= 0 summing to 1, e.g. one-hot)")
    targets = LOSSES[spec.loss].targets
    if targets is None:
        return
    low, high = targets
    bad = np.argwhere((data.y < low) | (data.y > high))
    if bad.size:
        r, c = bad[0]
        raise GradproofError(f"{data.name}, row {r + 1}, target column {c + 1}: {data.y[r, c]:g} is outside "
                             f"[{low:g}, {high:g}], which loss {spec.loss!r} needs")


def load_data(source, spec):
    """A Dataset from 'builtin:NAME' or a CSV path, checked against the spec's input and output widths."""
    source = str(source)
    if source.startswith(BUILTIN_PREFIX):
        data = _builtin(source[len(BUILTIN_PREFIX):], spec)
    else:
        data = read_csv(source, spec)
    _check_targets(data, spec)
    return data
