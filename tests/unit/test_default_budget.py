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

from tests.tables import iris, wine
from vae.__main__ import main
from vae.config import DEFAULT_STEPS, ModelConfig, TrainConfig, default_epochs, fitting_batch_size

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


def final_losses(x, train_config) -> tuple[float, float]:
    """(training loss, held-out loss) of the last epoch, trained as the app's worker trains."""
    from vae.training.engine import Trainer
    from vae.training.fit import split_data

    x_train, x_val = split_data(x, train_config)
    trainer = Trainer(x_train, ModelConfig(input_dim=x.shape[1]), train_config, x_val)
    while not trainer.done:
        trainer.run()
    last = trainer.history[-1]
    return last["loss"], last["val_loss"]


@pytest.mark.parametrize("table", [iris, wine])
def test_ten_times_the_default_budget_fits_unseen_rows_no_better(table):
    """The issue's "within 10% of the loss ten times the budget reaches", on rows the model never saw.

    On its training rows the loss keeps falling long after that (measured, 20% held out: iris
    9.4 at 900 steps, 6.8 at 9,000, 6.4 at 30,000; wine 132, 56, 38), because a 64-32 network
    memorizes 120-150 rows; the held-out loss is lowest near 300 steps (iris 16.0, wine 252) and
    rises after (iris 17.9 at 900 steps, 22.6 at 9,000; wine 306, 472). More budget would fit
    the table's own rows ever closer and new rows worse, so the default is not raised.
    """
    x = table().standardized()
    split = 0.2
    n_train, _ = TrainConfig(validation_split=split).split_sizes(len(x))
    batch = fitting_batch_size(n_train)
    one = TrainConfig(epochs=default_epochs(len(x), batch, split), batch_size=batch, validation_split=split)
    train_1, held_out_1 = final_losses(x, one)
    train_10, held_out_10 = final_losses(x, one.replace(epochs=10 * one.epochs))
    assert held_out_1 <= 1.1 * held_out_10, (held_out_1, held_out_10)
    assert train_10 < train_1  # what ten times the budget buys: its own rows, memorized
