"""With default settings, small real tables train: the budget is optimizer steps, not 60 epochs.

iris (150 rows) and wine (178 rows) from scikit-learn (shipped with it, no
download), trained through the CLI with no --epochs, as a user would. At batch
128 an epoch of either is one optimizer step, so the old fixed 60 epochs were
60 steps (iris ended at loss 51.7, wine at 355.8, both still falling steeply);
the default now gives them the 900 steps two moons gets.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from sklearn.datasets import load_iris, load_wine

from vae.__main__ import main
from vae.config import DEFAULT_STEPS

pytestmark = pytest.mark.slow

SUMMARY = re.compile(r"completed after (\d+) epochs; loss ([\d.]+) nats/point")


def train(capsys, csv, *args: str) -> tuple[int, float]:
    assert main(["train", "--data", str(csv), "--quiet", *args]) == 0
    match = SUMMARY.search(capsys.readouterr().out)
    assert match, "no summary line"
    return int(match.group(1)), float(match.group(2))


@pytest.mark.parametrize("loader", [load_iris, load_wine], ids=["iris", "wine"])
def test_defaults_give_small_tables_the_steps_two_moons_gets(capsys, tmp_path, loader):
    bunch = loader()
    csv = tmp_path / f"{loader.__name__}.csv"
    pd.DataFrame(bunch.data, columns=[f"c{i}" for i in range(bunch.data.shape[1])]).to_csv(csv, index=False)
    columns = ",".join(f"c{i}" for i in range(bunch.data.shape[1]))
    epochs, loss = train(capsys, csv, "--columns", columns)
    assert epochs == DEFAULT_STEPS  # one step an epoch at batch 128: 900 epochs, 900 steps
    old_epochs, old_loss = train(capsys, csv, "--columns", columns, "--epochs", "60")
    assert old_epochs == 60
    # Measured: iris 51.7 -> 10.0, wine 355.8 -> 147; both well below half the old budget's loss.
    assert loss < old_loss / 2, (loss, old_loss)
