import importlib
import subprocess
import sys

import pytest

from vae.__main__ import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vae", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["train", "--lr", "0"], "error: learning_rate must be in (0, 1]"),
        (["train", "--epochs", "0"], "error: epochs must be in [1, 100,000]"),
        (["train", "--encoder", "64,x"], "error: argument --encoder"),
        (["train", "--activation", "gelu"], "error: argument --activation"),
        (["train", "--data", "no_such_file.csv"], "error: --data must be a preset"),
        (["train", "--batch-size", "5000", "--n-samples", "100"], "error: batch_size must not exceed"),
        (["frobnicate"], "error: argument command"),
        (["bench", "--only", "gpu"], "error: --only takes engine, parse, ui, load"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, expected):
    result = run_cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected)
    assert "Traceback" not in result.stderr


def test_bad_csv_exits_2(tmp_path):
    path = tmp_path / "one_column.csv"
    path.write_text("x\n1\n2\n3\n")
    result = run_cli("train", "--data", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1


def test_train_prints_progress_and_summary(capsys, tmp_path):
    csv = tmp_path / "points.csv"
    csv.write_text("a,b,c\n" + "".join(f"{i % 7},{(i * 3) % 11},{i % 5}\n" for i in range(300)))
    code = main(["train", "--data", str(csv), "--columns", "a,c", "--epochs", "3", "--batch-size", "32"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "epoch 3/3" in err and "ETA" in err
    assert "VAE on points.csv (300 rows): completed after 3 epochs" in out


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        (".", "is a folder; give a file name in it"),
        ("no_such_folder/run.zip", "the folder"),
    ],
)
def test_a_bad_out_path_is_refused_before_training(capsys, tmp_path, monkeypatch, out, expected):
    monkeypatch.chdir(tmp_path)
    code = main(["train", "--epochs", "1", "--quiet", "--out", out])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --out {out!r}") and expected in lines[0]
    assert captured.out == ""  # refused before training: no summary line
    assert list(tmp_path.iterdir()) == []


def test_a_write_that_fails_after_training_keeps_the_run(capsys, tmp_path, monkeypatch):
    from pathlib import Path

    from vae.storage.bundle_load import load_bundle

    out = tmp_path / "run.zip"
    real_write = Path.write_bytes

    def disk_full(self, data):
        if self == out:
            raise OSError(28, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    code = main(["train", "--epochs", "2", "--n-samples", "200", "--quiet", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "No space left on device" in err and "the run was saved to" in err
    kept = Path(err.rsplit("saved to ", 1)[1].split("'")[1])
    try:
        run, dataset = load_bundle(kept.read_bytes())
        assert run.epochs_done == 2 and dataset.n_rows == 200
    finally:
        kept.unlink()


@pytest.mark.parametrize(
    "module, name, words",
    [
        ("vae.storage.bundle_parse", "floats", "Loading the bundle ran out of memory"),
        ("vae.__main__", "cmd_info", "out of memory"),
    ],
)
def test_out_of_memory_exits_2_with_one_line(capsys, monkeypatch, tmp_path, module, name, words):
    """Inside the bundle reader it is the reader's own message; anywhere else, still one line."""
    from tests.weights import random_weights
    from vae.config import DataConfig, ModelConfig, TrainConfig
    from vae.data.presets import generate
    from vae.runs.run import Run
    from vae.storage.bundle_save import save_bundle

    dataset = generate(DataConfig(n_samples=50, seed=1))
    model = ModelConfig(encoder_units=(4,), decoder_units=(4,))
    run = Run(
        dataset.config, model, TrainConfig(), history=[], weights=random_weights(model), status="finished"
    )
    path = tmp_path / "run.zip"
    path.write_bytes(save_bundle(run, dataset))

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(importlib.import_module(module), name, exhausted)
    assert main(["info", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"error: {words}")


def test_train_on_a_csv_picks_the_pages_columns_and_label_unless_told(capsys, tmp_path):
    from tests.unit.test_columns import WINE_COLUMNS, wine_csv
    from vae.__main__ import build_parser, data_config_from_args, load_data

    path = tmp_path / "wine.csv"
    path.write_bytes(wine_csv())

    def dataset(*flags: str):
        args = build_parser().parse_args(["train", "--data", str(path), *flags])
        return load_data(args, data_config_from_args(args))

    proposed = dataset()
    assert proposed.columns == WINE_COLUMNS and proposed.config.label_column == "class"
    assert sorted(set(proposed.labels.tolist())) == [1, 2, 3]
    chosen = dataset("--columns", "alcohol,hue,class", "--label", "class")
    assert chosen.columns == ("alcohol", "hue") and any(
        "removed from the modelled" in n for n in chosen.notes
    )
    unlabelled = dataset("--columns", "alcohol,hue", "--label", "none")
    assert unlabelled.labels is None and unlabelled.config.label_column is None
    assert dataset("--label-column", "class").config.label_column == "class"  # the old spelling still works
    code = main(["train", "--data", str(path), "--epochs", "1", "--batch-size", "32", "--quiet"])
    assert code == 0
    out, err = capsys.readouterr()
    assert "VAE on wine.csv (178 rows)" in out and err == ""
    code = main(["train", "--data", str(path), "--epochs", "1", "--batch-size", "32"])
    _, err = capsys.readouterr()
    assert "data: Modelling 'alcohol', 'malic_acid'" in err and "on all 178 rows" in err
    assert "label 'class' (colour only)" in err
