"""A copyable command line that reproduces a run: ``python -m vae train ...``.

The engine seeds everything it draws (weights, shuffling, the noise of each
step), so the same data, settings and seed give the same loss curve. This
module writes those settings as the flags of ``vae/__main__.py``; a test parses
the command with the CLI's own parser and checks it yields the same settings.
"""

from __future__ import annotations

import shlex

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.settings import schema, to_text, value_of

BUNDLE_CSV = "dataset.csv"  # the data member of a run bundle


def cli_arguments(
    data_config: DataConfig,
    model_config: ModelConfig,
    train_config: TrainConfig,
    *,
    out: str | None = "run.zip",
    csv_path: str = BUNDLE_CSV,
) -> list[str]:
    """The argument list after ``python -m vae``: a flag for every setting the CLI takes that matters.

    Every one is written, defaults too, so the command keeps its meaning if a default changes;
    a setting that cannot matter (momentum without SGD, beta without a VAE) is left out. A
    preset is regenerated from its name, size, noise, seed and shape parameter. An upload or a
    drawing cannot travel in a command, so ``--data`` points at the CSV: ``dataset.csv`` inside
    the run bundle, or ``csv_path``; a drawing's columns are x and y.
    """
    args = ["train"]
    for config in (data_config, model_config, train_config):
        values = {**vars(model_config), **vars(config)}  # what a setting's ``when`` looks at
        for s in schema(type(config)):
            value = value_of(config, s)
            if not s.cli or not s.applies(values) or (s.key and value is None):
                continue
            if s.name == "data" and config.source != "preset":
                value = csv_path
            elif s.name == "columns" and config.source == "drawn" and not value:
                value = ("x", "y")
            if s.kind == "bool":
                args.append(s.flag if value else "--no-" + s.flag[2:])
            else:
                args += [s.flag, to_text(s, value)]
    return args + (["--out", out] if out else [])


def cli_command(
    data_config: DataConfig,
    model_config: ModelConfig,
    train_config: TrainConfig,
    *,
    out: str | None = "run.zip",
    csv_path: str = BUNDLE_CSV,
) -> str:
    """A shell command that retrains this run and saves its bundle (``out``; None: no ``--out``).

    Example::

        python -m vae train --data two_moons --n-samples 2000 --noise 0.05 --data-seed 0 --scaling zscore
          --latent-dim 2 --encoder 64,32 --decoder 32,64 --activation relu --kind vae --beta 1.0 ...
          --seed 0 --warmup 0 --clip-norm 10.0 --xla --out run.zip

    Returns:
        One line, quoted for a POSIX shell (column names and file names may
        hold spaces or quotes).
    """
    args = cli_arguments(data_config, model_config, train_config, out=out, csv_path=csv_path)
    return "python -m vae " + " ".join(shlex.quote(a) for a in args)
