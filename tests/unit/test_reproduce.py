"""Reproducibility: the seed fixes the loss curve, and cli_command rebuilds the same settings."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vae import __main__ as cli
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.presets import generate, preset_config
from vae.storage.bundle_load import load_bundle
from vae.storage.bundle_save import save_bundle
from vae.storage.reproduce import cli_arguments, cli_command

ROOT = Path(__file__).resolve().parents[2]


def parse(command: str):
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "vae"]
    args = cli.build_parser().parse_args(words[3:])
    return args, cli.data_config_from_args(args), cli.settings_from_args(TrainConfig, args)


CASES = [
    (DataConfig(), ModelConfig(), TrainConfig()),
    (
        DataConfig(preset="blobs", n_samples=777, noise=0.3, seed=12, params={"k": 5}, scaling="minmax"),
        ModelConfig(
            encoder_units=(16, 8, 4),
            decoder_units=(4,),
            activation="tanh",
            beta=4.0,
            latent_dim=3,
            decoder_std=0.05,
        ),
        TrainConfig(
            epochs=7,
            batch_size=64,
            learning_rate=1e-05,
            optimizer="sgd",
            momentum=0.5,
            validation_split=0.2,
            seed=99,
            kl_warmup_epochs=3,
            early_stopping_patience=4,
            clip_norm=2.5,
            jit_compile=False,
        ),
    ),
    (
        preset_config("spirals").replace(noise=0.1),  # as the Data page makes it: its arms written
        ModelConfig(kind="denoising", noise_std=0.35),
        TrainConfig(seed=3),
    ),
    (preset_config("ring"), ModelConfig(kind="sparse", sparsity=0.125), TrainConfig(optimizer="rmsprop")),
]


@pytest.mark.parametrize("data_config, model_config, train_config", CASES)
def test_command_parses_back_to_the_same_settings(data_config, model_config, train_config):
    command = cli_command(data_config, model_config, train_config)
    args, data2, train2 = parse(command)
    assert train2 == train_config
    assert cli.settings_from_args(ModelConfig, args, input_dim=model_config.input_dim) == model_config
    for key in ("source", "preset", "n_samples", "noise", "seed", "params", "scaling"):
        assert getattr(data2, key) == getattr(data_config, key), key
    assert args.out == Path("run.zip")


def test_upload_points_at_the_bundle_csv_and_quotes_names():
    data_config = DataConfig(
        source="upload", columns=("height (cm)", "it's"), label_column="kind", name="my data.csv"
    )
    command = cli_command(data_config, ModelConfig(), TrainConfig(), csv_path="my data.csv", out=None)
    args, data2, _ = parse(command)
    assert args.data == "my data.csv" and args.out is None
    assert data2.columns == ("height (cm)", "it's") and data2.label_column == "kind"
    drawn = cli_arguments(DataConfig(source="drawn", preset="drawing"), ModelConfig(), TrainConfig())
    assert drawn[1:5] == ["--data", "dataset.csv", "--columns", "x,y"]


def test_floats_are_written_exactly():
    command = cli_command(
        DataConfig(noise=0.1 + 0.2), ModelConfig(beta=1 / 3), TrainConfig(learning_rate=3e-4)
    )
    args, data2, train2 = parse(command)
    assert data2.noise == 0.1 + 0.2 and args.beta == 1 / 3 and train2.learning_rate == 3e-4


@pytest.mark.slow
def test_same_seed_same_loss_curve_different_seed_different():
    from vae.training.fit import fit

    x = generate(DataConfig(n_samples=256, seed=4)).standardized()
    model_config = ModelConfig(encoder_units=(16,), decoder_units=(16,))
    config = TrainConfig(epochs=4, batch_size=32, seed=7)
    first = [r["loss"] for r in fit(x, model_config, config).history]
    again = [r["loss"] for r in fit(x, model_config, config).history]
    other = [r["loss"] for r in fit(x, model_config, config.replace(seed=8)).history]
    assert len(first) == 4 and first == again  # bit-for-bit
    assert all(a != b for a, b in zip(first, other, strict=True))
    assert abs(first[-1] - other[-1]) < 0.5 * abs(first[0])  # different draws, same problem


@pytest.mark.slow
def test_cli_train_writes_a_bundle_and_info_reads_it(tmp_path):
    out = tmp_path / "run.zip"
    data_config = DataConfig(n_samples=128, seed=2)
    model_config = ModelConfig(encoder_units=(8,), decoder_units=(8,))
    train_config = TrainConfig(epochs=3, batch_size=32, seed=5, jit_compile=False)
    args = cli_arguments(data_config, model_config, train_config, out=str(out))
    done = subprocess.run(
        [sys.executable, "-m", "vae", *args, "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    run, dataset = load_bundle(out.read_bytes())
    assert run.model_config == model_config and run.train_config == train_config
    assert dataset.n_rows == 128 and run.epochs_done == 3
    # The same command in-process (vae.training.fit) gives the same loss curve.
    from vae.training.fit import fit

    again = fit(generate(data_config).standardized(), model_config, train_config)
    assert [r["loss"] for r in run.history] == [r["loss"] for r in again.history]

    info = subprocess.run(
        [sys.executable, "-m", "vae", "info", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert info.returncode == 0 and "seed=5" in info.stdout and "128 rows" in info.stdout


def test_cli_info_bad_bundle_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    assert cli.main(["info", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "damaged or truncated" in err
    assert cli.main(["info", str(tmp_path / "missing.zip")]) == 2
    assert "no such bundle" in capsys.readouterr().err


def test_cli_info_prints_a_summary(tmp_path, capsys):
    from tests.unit.test_bundle import make_run

    run, dataset = make_run()
    path = tmp_path / "run.zip"
    path.write_bytes(save_bundle(run, dataset))
    assert cli.main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Latent Lab run bundle" in out and "VAE" in out
    assert np.isclose(float(out.split("loss ")[1].split(",")[0]), run.history[-1]["loss"], atol=1e-4)
