"""The command line's files and flags: what a plot, a result file and a sheet folder are written as, that each
written file is announced, the reason given for a path that cannot be written, bare `gradproof`, --version,
and `--batch-size all`."""
import json
import os
import re
from pathlib import Path

import pytest

from gradproof.symbolic import cli
from gradproof.symbolic.cli import main

ROOT = Path(__file__).resolve().parents[1]
MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-"}


def _one_line_error(capsys, command):
    err = capsys.readouterr().err
    assert err.startswith(f"gradproof {command}: error:") and err.count("\n") == 1 and "Traceback" not in err
    return err


# ---- the command list and the version -----------------------------------------------------------------
def test_bare_gradproof_lists_every_command(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert all(re.search(rf"\n    {re.escape(name)}\s", out) for name in cli.COMMANDS), out


def test_version(capsys):
    from importlib.metadata import version
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"gradproof {version('gradproof')}"


# ---- plots: the suffix chooses the format ---------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_train_plot_is_written_in_the_suffixs_format(tmp_path, capsys, suffix):
    path = tmp_path / f"loss{suffix}"
    assert main(["train", "--data", "builtin:notes", "--epochs", "3", "--plot", str(path)]) == 0
    data = path.read_bytes()
    if suffix == ".svg":
        assert b"<svg" in data[:2000] and b"\x89PNG" not in data
    else:
        assert data.startswith(MAGIC[suffix])
    assert f"wrote {path}\n" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["train", "--data", "builtin:notes", "--epochs", "3"],
    ["flow", "--depth", "3"],
    ["sweep", "--data", "builtin:notes", "--reg", "l2", "--epochs", "2"],
])
def test_a_plot_suffix_it_cannot_write_is_refused_before_any_work(tmp_path, capsys, argv):
    path = tmp_path / "plot.jpg"
    assert main([*argv, "--plot", str(path)]) == 2
    err = _one_line_error(capsys, argv[0])
    assert "plot.jpg" in err and ".png, .svg or .pdf" in err
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_flow_and_sweep_plots_honour_the_suffix(tmp_path, capsys):
    assert main(["flow", "--depth", "4", "--plot", str(tmp_path / "flow.svg")]) == 0
    assert b"<svg" in (tmp_path / "flow.svg").read_bytes()[:2000]
    assert main(["flow", "--depth", "3", "--width", "2", "--compare", "--plot", str(tmp_path / "cmp.pdf")]) == 0
    assert (tmp_path / "cmp.pdf").read_bytes().startswith(MAGIC[".pdf"])
    assert main(["sweep", "--data", "builtin:notes", "--reg", "l2", "--lam", "0,0.1", "--epochs", "2",
                 "--plot", str(tmp_path / "sweep.pdf")]) == 0
    assert (tmp_path / "sweep.pdf").read_bytes().startswith(MAGIC[".pdf"])
    err = capsys.readouterr().err
    assert all(f"wrote {tmp_path / name}" in err for name in ("flow.svg", "cmp.pdf", "sweep.pdf"))


# ---- --batch-size all ----------------------------------------------------------------------------------
def test_batch_size_all_is_gradient_descent_on_every_sample(capsys):
    base = ["train", "--data", "builtin:notes", "--epochs", "5", "--json"]
    assert main([*base, "--batch-size", "all"]) == 0
    every = json.loads(capsys.readouterr().out)
    assert main([*base, "--batch-size", "200"]) == 0                   # builtin:notes has 200 samples
    assert json.loads(capsys.readouterr().out) == every
    assert main([*base, "--batch-size", "16"]) == 0
    assert json.loads(capsys.readouterr().out) != every


def test_batch_size_must_be_a_number_or_all(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "--data", "builtin:notes", "--batch-size", "half"])
    assert stop.value.code == 2
    assert "a whole number (1 = SGD) or all (GD)" in capsys.readouterr().err


def test_sweep_takes_batch_size_all(capsys):
    assert main(["sweep", "--data", "builtin:notes", "--reg", "l2", "--lam", "0", "--epochs", "2",
                 "--batch-size", "all", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["training"]["batch_size"] == 200


# ---- written files are announced; result files are .csv or .json -----------------------------------------
def test_sheet_and_train_announce_every_file_they_write(tmp_path, capsys):
    assert main(["sheet", "--net", "1-1", "-o", str(tmp_path / "s.md")]) == 0
    err = capsys.readouterr().err
    assert f"wrote {tmp_path / 's.md'}\n" in err and f"wrote {tmp_path / 's.svg'}\n" in err
    assert main(["train", "--data", "builtin:notes", "--epochs", "2", "--save", str(tmp_path / "p.json")]) == 0
    assert capsys.readouterr().err.endswith(f"wrote {tmp_path / 'p.json'}\n")


def _answers(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("id,param,answer\na,w^3_11,0\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["results.xlsx", "results.txt", "results"])
def test_grade_results_file_must_be_csv_or_json(tmp_path, capsys, name):
    assert main(["grade", "--batch", str(_answers(tmp_path)), "-o", str(tmp_path / name)]) == 2
    err = _one_line_error(capsys, "grade")
    assert ".csv or .json" in err and not (tmp_path / name).exists()


def test_grade_results_as_json_by_the_suffix(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert main(["grade", "--batch", str(_answers(tmp_path)), "-o", str(out)]) == 0
    assert json.loads(out.read_text())[0]["id"] == "a"
    assert f"wrote {out}\n" in capsys.readouterr().err


# ---- a path that cannot be written: the real reason ----------------------------------------------------------
def test_a_missing_folder_is_named(tmp_path, capsys):
    assert main(["sheet", "--net", "1-1", "-o", str(tmp_path / "no" / "such" / "s.html")]) == 2
    assert f"folder '{tmp_path / 'no' / 'such'}' does not exist" in _one_line_error(capsys, "sheet")


def test_a_file_in_the_way_is_not_called_a_missing_folder(tmp_path, capsys):
    (tmp_path / "notes.html").write_text("x")
    assert main(["sheet", "--net", "1-1", "-o", str(tmp_path / "notes.html" / "s.html")]) == 2
    err = _one_line_error(capsys, "sheet")
    assert "is a file, not a folder" in err and "does not exist" not in err


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc, a folder that takes no new files")
def test_a_folder_that_exists_but_takes_no_files_is_not_called_missing(capsys):
    assert main(["sheet", "--net", "1-1", "-o", "/proc/gradproof-sheet.html"]) == 2
    err = _one_line_error(capsys, "sheet")
    assert "exists but does not accept new files" in err and "does not exist" not in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into any folder")
def test_a_read_only_folder_says_permission_denied(tmp_path, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert main(["sheet", "--net", "1-1", "-o", str(folder / "s.html")]) == 2
    finally:
        folder.chmod(0o700)
    err = _one_line_error(capsys, "sheet")
    assert "cannot be written (Permission denied)" in err and "does not exist" not in err


# ---- sheet --regenerate -o makes its folder ------------------------------------------------------------------
def test_regenerate_makes_the_output_folder(tmp_path, capsys):
    source = tmp_path / "src"
    source.mkdir()
    (source / "tiny.toml").write_text("[network]\nlayers = [1, 1]\n", encoding="utf-8")
    (source / "sheets.toml").write_text('[[sheet]]\nname = "tiny"\nspec = "tiny.toml"\nformats = ["html"]\n',
                                        encoding="utf-8")
    out = tmp_path / "a" / "b"
    assert main(["sheet", "--regenerate", str(source), "-o", str(out)]) == 0
    assert (out / "tiny.html").read_text().startswith("<!DOCTYPE html>")
    assert f"wrote {out / 'tiny.html'}\n" in capsys.readouterr().err


def test_regenerate_reads_only_its_folder(tmp_path, capsys):
    source = tmp_path / "src"
    source.mkdir()
    (tmp_path / "elsewhere.toml").write_text("[network]\nlayers = [1, 1]\n", encoding="utf-8")
    (source / "sheets.toml").write_text('[[sheet]]\nname = "tiny"\nspec = "../elsewhere.toml"\nformats = ["html"]\n',
                                        encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sheet", "--regenerate", str(source), "-o", str(out)]) == 2
    err = _one_line_error(capsys, "sheet")
    assert "spec '../elsewhere.toml' is not in" in err and "reads only its own folder" in err
    assert not out.exists()
