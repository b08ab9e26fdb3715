"""Saving a run to a bundle, and the CSV exports (latents, decoded grid) the Runs page offers."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

import vae
from vae.core.decode import NetworkWeights, decode, encode, latent_grid
from vae.data import spreadsheet
from vae.data.dataset import Dataset, dataset_frame, to_csv_bytes
from vae.runs.run import Run
from vae.storage.bundle_format import (
    CONFIG,
    DATASET,
    FORMAT,
    FORMAT_VERSION,
    HISTORY,
    LABEL_DTYPES,
    LATENTS,
    SNAPSHOTS,
    STANDARDIZER,
    WEIGHTS,
    BundleError,
)
from vae.storage.bundle_weights import snapshots_to_h5, weights_to_h5

_LIBRARIES = ("numpy", "pandas", "h5py", "streamlit", "keras", "tensorflow", "plotly")


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries a run depends on (read from metadata, nothing imported)."""
    out = {}
    for name in _LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _label_dtype(labels: np.ndarray | None) -> str | None:
    if labels is None:
        return None
    name = np.asarray(labels).dtype.name
    return name if name in LABEL_DTYPES else "str"


def _history_csv(history: list[dict[str, Any]]) -> bytes:
    numeric = (int, float, np.integer, np.floating)
    keys = list(
        dict.fromkeys(
            k for r in history for k, v in r.items() if isinstance(v, numeric) and not isinstance(v, bool)
        )
    )
    # An empty cell is a missing value; repr() round-trips every float (nan and inf too). Keys and
    # numbers hold no comma or quote: no CSV quoting needed.
    rows = [",".join("" if k not in r else repr(_plain(r[k])) for k in keys) for r in history]
    return "\n".join([",".join(keys), *rows, ""]).encode("utf-8")


def _plain(value: Any) -> int | float:
    return int(value) if isinstance(value, (int, np.integer)) else float(value)


def latent_columns(latent_dim: int) -> list[str]:
    """Column names of latents.csv: ``z_mean_1 .. z_mean_k, z_log_var_1 .. z_log_var_k``."""
    return [f"z_mean_{i + 1}" for i in range(latent_dim)] + [f"z_log_var_{i + 1}" for i in range(latent_dim)]


def latents_csv(weights: NetworkWeights, dataset: Dataset) -> bytes:
    """The encoder's posterior parameters of every row of ``dataset`` as CSV bytes."""
    z_mean, z_log_var = encode(weights, dataset.standardized())
    frame = pd.DataFrame(
        np.hstack([z_mean, z_log_var]).astype(np.float64), columns=latent_columns(weights.latent_dim)
    )
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def decoded_grid_csv(weights: NetworkWeights, dataset: Dataset, steps: int = 21) -> bytes:
    """The decoder's output over ``vae.core.decode.latent_grid`` (steps x steps points of the 2-D
    latent plane, z1 first) in original units, as CSV: columns ``z1, z2`` then the dataset's.
    ``BundleError`` if the code is not 2-D."""
    if weights.latent_dim != 2:
        raise BundleError(f"A latent grid needs a 2-D code. Received: latent_dim={weights.latent_dim}")
    z = latent_grid(steps=steps)
    x = dataset.standardizer.inverse_transform(decode(weights, z))
    names = [f"x_{c}" if c in ("z1", "z2") else c for c in dataset.columns]  # keep the header unique
    frame = pd.DataFrame(np.hstack([z.astype(np.float64), x]), columns=["z1", "z2", *names])
    return spreadsheet.csv_bytes(frame)  # a download only: column names made formula-safe


def save_bundle(run: Run, dataset: Dataset) -> bytes:
    """A run (with weights), the dataset it was trained on and its results as a zip's bytes
    (members: ``vae.storage.bundle_format``); ``BundleError`` if they do not fit together."""
    if run.weights is None:
        raise BundleError("This run has no weights yet; train at least one epoch, then save it.")
    if not run.weights.is_finite():
        raise BundleError("This run's weights hold NaN or infinite values; retrain, then save.")
    if dataset.n_dims != run.model_config.input_dim:
        raise BundleError(
            f"The dataset has {dataset.n_dims} columns but the model takes "
            f"{run.model_config.input_dim}; save the run with the data it was trained on."
        )
    weights_h5 = weights_to_h5(run.model_config, run.weights)
    dataset_csv = to_csv_bytes(dataset)
    label_column = str(dataset_frame(dataset).columns[-1]) if dataset.labels is not None else None
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "app": {"name": "Latent Lab", "version": vae.__version__},
        "libraries": library_versions(),
        "saved_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "data": run.data_config.to_dict(),
        "model": run.model_config.to_dict(),
        "train": run.train_config.to_dict(),
        "dataset": {
            "config": dataset.config.to_dict(),
            "columns": list(dataset.columns),
            "n_rows": dataset.n_rows,
            "label_column": label_column,
            "label_dtype": _label_dtype(dataset.labels),
            "notes": list(dataset.notes),
            "warnings": list(dataset.warnings),
        },
        "run": {
            "status": run.status,
            "message": run.message,
            "epochs": run.epochs_done,
            "origin": run.origin,
        },
    }
    members = {
        CONFIG: json.dumps(config, indent=2, allow_nan=False).encode("utf-8"),
        WEIGHTS: weights_h5,
        DATASET: dataset_csv,
        STANDARDIZER: json.dumps(dataset.standardizer.to_dict(), indent=2).encode("utf-8"),
        HISTORY: _history_csv(run.history),
        LATENTS: latents_csv(run.weights, dataset),
    }
    if len(run.snapshots):
        members[SNAPSHOTS] = snapshots_to_h5(run.model_config, run.snapshots.items())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
    return buffer.getvalue()
