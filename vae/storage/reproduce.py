"""A copyable command line that reproduces a run: ``python -m vae train ...``.

The engine seeds everything it draws (weights, shuffling, the noise of each
step), so the same data, settings and seed give the same loss curve. This
module writes those settings as the flags of ``vae/__main__.py``; a test parses
the command with the CLI's own parser and checks it yields the same settings.
"""

from __future__ import annotations

import shlex

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.settings import schema, to_text, value_of, values_of

BUNDLE_CSV = "dataset.csv"  # the data member of a run bundle


def data_flags(config: DataConfig, csv_path: str = BUNDLE_CSV) -> list[str]:
    """The ``--data ...`` flags that rebuild this dataset: each data setting that applies to it.

    A preset is regenerated from its name, size, noise, seed and shape parameter. An upload or
    a drawing cannot travel in a command, so ``--data`` points at the CSV: ``dataset.csv``
    inside the run bundle, or ``csv_path``; a drawing's columns are x and y.
    """
    flags: list[str] = []
    for s in schema(DataConfig):
        value = value_of(config, s)
        if not s.cli or not s.applies(vars(config)) or (s.key and value is None):
            continue
        if s.name == "data" and config.source != "preset":
            value = csv_path
        elif s.name == "columns" and config.source == "drawn" and not value:
            value = ("x", "y")
        flags += [s.flag, to_text(s, value)]
    return flags


def settings_flags(model_config: ModelConfig, train_config: TrainConfig) -> list[str]:
    """A flag for every setting the CLI takes and that matters for these settings (vae.settings).

    Every one is written, defaults too, so the command keeps its meaning if a default changes;
    a setting that cannot matter (momentum without SGD, beta without a VAE) is left out.
    """
    values = values_of(model_config, train_config)
    flags: list[str] = []
    for s in schema(ModelConfig, TrainConfig):
        if not s.cli or not s.applies(values):
            continue
        value = values[s.field]
        if s.kind == "bool":
            flags.append(s.flag if value else "--no-" + s.flag[2:])
        else:
            flags += [s.flag, to_text(s, value)]
    return flags


def cli_arguments(
    data_config: DataConfig,
    model_config: ModelConfig,
    train_config: TrainConfig,
    *,
    out: str | None = "run.zip",
    csv_path: str = BUNDLE_CSV,
) -> list[str]:
    """The argument list after ``python -m vae`` (for tests and subprocesses)."""
    args = [
        "train",
        *data_flags(data_config, csv_path),
        *settings_flags(model_config, train_config),
    ]
    if out:
        args += ["--out", out]
    return args


def cli_command(
    data_config: DataConfig,
    model_config: ModelConfig,
    train_config: TrainConfig,
    *,
    out: str | None = "run.zip",
    csv_path: str = BUNDLE_CSV,
) -> str:
    """A shell command that retrains this run and saves its bundle.

    Example::

        python -m vae train --data two_moons --n-samples 2000 --noise 0.05 --data-seed 0 --scaling zscore
          --latent-dim 2 --encoder 64,32 --decoder 32,64 --activation relu --kind vae --beta 1.0 ...
          --seed 0 --warmup 0 --clip-norm 10.0 --xla --out run.zip

    Args:
        data_config, model_config, train_config: the run's settings.
        out: the bundle the command writes (None: no ``--out``).
        csv_path: where an uploaded or drawn dataset's CSV is (presets ignore it).

    Returns:
        One line, quoted for a POSIX shell (column names and file names may
        hold spaces or quotes).
    """
    args = cli_arguments(data_config, model_config, train_config, out=out, csv_path=csv_path)
    return "python -m vae " + " ".join(shlex.quote(a) for a in args)
