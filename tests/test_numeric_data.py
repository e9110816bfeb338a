"""Training data: CSV files and the built-in sets; bad files give one-line errors naming row and column."""
import numpy as np
import pytest

from gradproof.numeric.data import load_data, notes_data
from gradproof.numeric.errors import GradproofError
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main

SPEC_2_1 = ["--net", "2-3-1"]


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def train_error(capsys, path, extra=()):
    code = main(["train", *SPEC_2_1, "--data", path, "--epochs", "1", *extra])
    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.err
    assert captured.err.count("\n") == 1, captured.err          # one line
    return captured.err


def test_reads_a_csv_with_a_header(tmp_path):
    path = write(tmp_path, "x1,x2,y\n1,2,0.5\n-3, 4.5 ,1e-2\n\n")
    data = load_data(path, Spec(layers=(2, 3, 1)))
    assert data.x.tolist() == [[1.0, 2.0], [-3.0, 4.5]]
    assert data.y.tolist() == [[0.5], [0.01]]
    assert data.columns == ("x1", "x2", "y")


def test_last_columns_are_the_targets(tmp_path):
    path = write(tmp_path, "a,b,c,d\n1,2,3,4\n")
    data = load_data(path, Spec(layers=(2, 2)))
    assert data.x.tolist() == [[1.0, 2.0]] and data.y.tolist() == [[3.0, 4.0]]


def test_ragged_row_names_row_and_line(tmp_path, capsys):
    path = write(tmp_path, "x1,x2,y\n1,2,3\n4,5\n")
    err = train_error(capsys, path)
    assert "row 2 (line 3): 2 columns, but the header has 3" in err


def test_text_in_a_number_column_names_row_and_column(tmp_path, capsys):
    path = write(tmp_path, "x1,x2,y\n1,2,3\n4,five,6\n")
    err = train_error(capsys, path)
    assert "row 2 (line 3), column 2 ('x2'): 'five' is not a number" in err


def test_not_finite_value(tmp_path, capsys):
    err = train_error(capsys, write(tmp_path, "x1,x2,y\n1,nan,3\n"))
    assert "row 1 (line 2), column 2 ('x2'): 'nan' is not a finite number" in err


def test_wrong_number_of_columns_for_the_spec(tmp_path, capsys):
    err = train_error(capsys, write(tmp_path, "x1,x2,x3,y\n1,2,3,4\n"))
    assert "the header has 4 columns (x1, x2, x3, y); the 2-3-1 network needs 3: 2 inputs, then 1 target" in err


def test_empty_and_missing_files(tmp_path, capsys):
    assert "the file is empty" in train_error(capsys, write(tmp_path, ""))
    assert "no data rows" in train_error(capsys, write(tmp_path, "x1,x2,y\n"))
    assert "not found" in train_error(capsys, str(tmp_path / "nope.csv"))


def test_bce_targets_must_be_probabilities(tmp_path, capsys):
    err = train_error(capsys, write(tmp_path, "x1,x2,y\n1,2,0.5\n1,2,1.5\n"), ["--loss", "bce"])
    assert "row 2, target column 1: 1.5 is outside [0, 1]" in err


def test_unknown_builtin_lists_the_valid_ones(capsys):
    err = train_error(capsys, "builtin:iris")
    assert "unknown built-in data set 'iris'; valid: notes, xor, sine" in err


def test_builtin_must_fit_the_network():
    with pytest.raises(GradproofError, match="builtin:notes has 4 inputs and 1 target, but the 2-3-1 network"):
        load_data("builtin:notes", Spec(layers=(2, 3, 1)))


def test_builtin_sets():
    notes = load_data("builtin:notes", Spec())
    assert notes.x.shape == (200, 4) and notes.y.shape == (200, 1)
    assert np.all(np.abs(notes.x) <= 2)
    x, y = notes_data()
    assert np.array_equal(x, notes.x) and np.array_equal(y, notes.y)     # fixed, not seeded per run
    assert 0.2 < notes.y.std() and np.all((notes.y > -0.1) & (notes.y < 1.1))
    sine = load_data("builtin:sine", Spec(layers=(1, 8, 1)))
    assert np.allclose(sine.y, np.sin(sine.x)) and sine.x.min() == pytest.approx(-np.pi)
    xor = load_data("builtin:xor", Spec(layers=(2, 2, 1)))
    assert (xor.y[:, 0] == np.logical_xor(xor.x[:, 0], xor.x[:, 1])).all()


@pytest.mark.parametrize("name, layers, rows, noise", [("notes-small", (4, 3, 2, 1), 16, 0.15),
                                                       ("sine-small", (1, 8, 1), 12, 0.25)])
def test_the_small_sets_are_few_noisy_rows_with_a_large_validation_set(name, layers, rows, noise):
    from gradproof.numeric.data import teacher
    data = load_data(f"builtin:{name}", Spec(layers=layers))
    again = load_data(f"builtin:{name}", Spec(layers=layers))
    assert (data.samples, data.validation.samples) == (rows, 1000)
    assert np.array_equal(data.x, again.x) and np.array_equal(data.validation.y, again.validation.y)
    assert data.validation.name == f"builtin:{name} (validation)"
    clean = (lambda x: teacher(x)) if name == "notes-small" else np.sin
    # the noise is what it says: residuals from the clean function have its spread (1000 validation rows)
    residual = data.validation.y - clean(data.validation.x)
    assert residual.std() == pytest.approx(noise, rel=0.1) and abs(residual.mean()) < 0.03
    assert not set(map(tuple, data.x)) & set(map(tuple, data.validation.x))
    assert data.x.min() >= -np.pi - 1e-12 if name == "sine-small" else data.x.min() >= -2


def test_sine_small_covers_the_interval_one_sample_per_slice():
    data = load_data("builtin:sine-small", Spec(layers=(1, 8, 1)))
    slices = np.floor((data.x.ravel() + np.pi) / (2 * np.pi) * 12)
    assert sorted(slices.tolist()) == list(range(12))


def test_sets_without_a_validation_set_have_none():
    assert load_data("builtin:notes", Spec()).validation is None
