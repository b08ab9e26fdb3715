"""Values every dataset must respect, from an upload or from a bundle.

A bundle's dataset gets the limit uploads have (±1e15): 1e300 loaded, then the
latent pad failed with "NaN is not valid JSON". A column that varies only by
subnormal amounts (1e-320) standardized to all zeros without a word.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from tests.weights import random_weights
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.build import build_dataset
from vae.data.csv_reader import read_table
from vae.data.dataset import DataError, make_dataset
from vae.runs.run import Run
from vae.storage.bundle_format import STANDARDIZER, BundleError
from vae.storage.bundle_load import load_bundle
from vae.storage.bundle_save import save_bundle

MODEL = ModelConfig(encoder_units=(8,), decoder_units=(8,))


def bundle_of(values: np.ndarray, weights=None) -> bytes:
    config = DataConfig(source="upload", preset="upload", n_samples=len(values), noise=0.0, name="t.csv")
    dataset = make_dataset(values, ("a", "b"), config)
    model = MODEL
    run = Run(
        data_config=dataset.config,
        model_config=model,
        train_config=TrainConfig(epochs=1, batch_size=4),
        history=[
            {"epoch": 1, "loss": 2.0, "recon": 1.5, "kl": 0.5, "penalty": 0.0, "beta": 1.0, "seconds": 0.1}
        ],
        weights=weights if weights is not None else random_weights(model),
        status="finished",
    )
    return save_bundle(run, dataset)


def replaced(data: bytes, name: str, payload: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, payload if info.filename == name else source.read(info))
    return out.getvalue()


def test_a_bundle_dataset_beyond_the_upload_limit_is_refused():
    values = np.random.default_rng(0).normal(size=(20, 2))
    values[3, 1] = 1e300
    with pytest.raises(BundleError, match=r"dataset.csv holds values up to ±1e\+300, beyond the ±1e\+15"):
        load_bundle(bundle_of(values))


def test_values_at_the_limit_still_load():
    values = np.random.default_rng(0).normal(size=(20, 2))
    values[3, 1] = 9e14
    _, dataset = load_bundle(bundle_of(values))
    assert dataset.values[3, 1] == 9e14 and np.isfinite(dataset.standardized()).all()


def test_a_standardizer_offset_beyond_the_limit_is_refused():
    data = bundle_of(np.random.default_rng(0).normal(size=(20, 2)))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        scaler = json.loads(zf.read(STANDARDIZER))
    scaler["offset"][0] = 1e300
    with pytest.raises(BundleError, match=r"offsets within ±1e\+15"):
        load_bundle(replaced(data, STANDARDIZER, json.dumps(scaler).encode()))


def test_a_column_of_subnormal_values_is_refused_with_the_reason():
    rows = "".join(f"{k}e-320,{k * 1.5}\n" for k in range(1, 30))
    table = read_table(("tiny,big\n" + rows).encode(), name="subnormal.csv")
    with pytest.raises(DataError, match=r"Column 'tiny' varies only between 1e-320 and 2\.9e-319") as caught:
        build_dataset(table, ["tiny", "big"])
    assert caught.value.kind == "too_small_spread"
    message = str(caught.value)
    assert len(message.splitlines()) == 1 and "Rescale the column" in message


def test_small_but_representable_spreads_still_standardize():
    values = np.column_stack([np.arange(1, 30) * 1e-100, np.arange(1, 30, dtype=float)])
    rows = "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in values)
    dataset = build_dataset(read_table(("tiny,big\n" + rows).encode()), ["tiny", "big"])
    x = dataset.standardized()
    assert np.std(x[:, 0]) == pytest.approx(1.0, rel=1e-5)


def test_finite_but_huge_weights_are_refused():
    weights = random_weights(MODEL)
    weights.x_mean[0][:] = 1e30  # finite, passes the finiteness check, decodes to ~1e30 or inf
    with pytest.raises(BundleError, match=r"gives decodings beyond ±1e\+15"):
        load_bundle(bundle_of(np.random.default_rng(0).normal(size=(20, 2)), weights))
