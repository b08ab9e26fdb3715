"""Loading a run bundle: parse and validate every member, rebuild the run and its dataset."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, get_args

import numpy as np
import pandas as pd

from vae.config import ModelConfig, TrainConfig
from vae.core.decode import NetworkWeights, decode, encode
from vae.core.snapshots import SnapshotStore
from vae.data.dataset import MAX_ABS_VALUE, Dataset, out_of_memory_as
from vae.runs.run import ACTIVE_STATUSES, Run, RunStatus
from vae.storage.bundle_format import (
    CONFIG,
    HISTORY,
    LATENTS,
    MAX_TOTAL_BYTES,
    ORIGINS,
    SNAPSHOTS,
    WEIGHTS,
    BundleError,
)
from vae.storage.bundle_parse import (
    check_format,
    data_config_from,
    expect_keys,
    floats,
    parse_json,
    read_csv,
    read_dataset,
    read_history,
    settings_from,
    text_value,
)
from vae.storage.bundle_save import latent_columns
from vae.storage.bundle_weights import snapshots_from_h5, weights_from_h5
from vae.storage.bundle_zip import read_members

_STATUSES: tuple[str, ...] = get_args(RunStatus)


@dataclass
class BundleContents:
    """Everything a bundle holds, validated: ``meta`` is config.json's app, library and save-time
    facts, ``latents`` the saved (n, 2 * latent_dim) z_mean then z_log_var."""

    run: Run
    dataset: Dataset
    meta: dict[str, Any]
    latents: np.ndarray


@out_of_memory_as(
    lambda: BundleError(
        "Loading the bundle ran out of memory; close other programs and try again, or use a smaller bundle."
    )
)
def read_bundle(data: bytes, *, max_total_bytes: int = MAX_TOTAL_BYTES) -> BundleContents:
    """Validate a bundle and return everything in it (see ``load_bundle``).

    Raises:
        BundleError: with a one-line message saying what is wrong and what to do.
    """
    members = read_members(data, max_total_bytes)
    config = expect_keys(
        "config.json",
        parse_json(CONFIG, members[CONFIG]),
        {"format", "format_version", "data", "model", "train", "dataset", "run"},
        {"app", "libraries", "saved_at"},
    )
    check_format(config)
    data_config = data_config_from("data", config["data"])
    model_config = settings_from("model", ModelConfig, config["model"])
    train_config = settings_from("train", TrainConfig, config["train"])
    run_info = expect_keys("config.json run", config["run"], {"status", "message", "epochs"}, {"origin"})
    status = run_info["status"]
    if status not in _STATUSES:
        raise BundleError(
            f"config.json run.status must be one of {', '.join(_STATUSES)}. Received: {str(status)[:40]!r}"
        )
    message = text_value("config.json run.message", run_info["message"]) or ""
    origin = run_info.get("origin", "")  # format 1 bundles lack it: a Train page run
    if origin not in ORIGINS:
        raise BundleError(
            f'config.json run.origin must be "Compare" or empty (the Train page). Received: {str(origin)[:40]!r}'
        )
    weights = weights_from_h5(model_config, members[WEIGHTS])
    dataset = read_dataset(config, members, model_config.input_dim)
    _check_outputs(weights, dataset)
    history = read_history(members[HISTORY])
    columns = latent_columns(model_config.latent_dim)
    latents = floats(LATENTS, read_csv(LATENTS, members[LATENTS], columns, dataset.n_rows), columns)
    snapshots = (
        SnapshotStore.from_items(
            snapshots_from_h5(model_config, members[SNAPSHOTS], max((r["epoch"] for r in history), default=0))
        )
        if SNAPSHOTS in members
        else SnapshotStore()
    )
    meta = {k: config.get(k) for k in ("format_version", "app", "libraries", "saved_at")}
    for key in ("app", "libraries"):
        if meta[key] is not None and (not isinstance(meta[key], dict) or len(json.dumps(meta[key])) > 4000):
            raise BundleError(f"config.json {key} must be a small JSON object; the bundle is damaged.")
    text_value("config.json saved_at", meta["saved_at"], allow_none=True)  # python -m vae info prints it
    # A bundle never trains: a run saved mid-training comes back stopped.
    if status in ACTIVE_STATUSES:
        status = "stopped"
    run = Run(
        data_config=data_config,
        model_config=model_config,
        train_config=train_config,
        history=history,
        weights=weights,
        status=status,
        message=message,
        snapshots=snapshots,
        origin=origin,
    )
    return BundleContents(run=run, dataset=dataset, meta=meta, latents=latents)


def _check_outputs(weights: NetworkWeights, dataset: Dataset, reach: float = 4.0) -> None:
    """Raise ``BundleError`` unless the model's codes and decodings stay within the data's limit.

    Finite weights can still be huge (1e30): the codes of the data and the decodings of the
    latent pad's range (``reach`` standard deviations along each axis) would overflow to
    inf and NaN in the pad and the charts. The limit is the one on values, ±MAX_ABS_VALUE.
    """
    with np.errstate(all="ignore"):
        z_mean, z_log_var = encode(weights, dataset.standardized())
        corners = np.vstack([np.zeros(weights.latent_dim), reach * np.eye(weights.latent_dim)])
        z = np.vstack([z_mean, corners, -corners]).astype(np.float32)
        x = dataset.standardizer.inverse_transform(decode(weights, z))
    for name, values in (("codes", z_mean), ("codes", z_log_var), ("decodings", x)):
        if not (np.isfinite(values).all() and (np.abs(values) <= MAX_ABS_VALUE).all()):
            raise BundleError(
                f"model.weights.h5 gives {name} beyond ±{MAX_ABS_VALUE:.0e} (or not finite) on the "
                "bundle's own data; the weights are damaged."
            )


def load_bundle(data: bytes, *, max_total_bytes: int = MAX_TOTAL_BYTES) -> tuple[Run, Dataset]:
    """Load a run bundle written by ``save_bundle`` (an upload: untrusted), validating everything.

    ``max_total_bytes`` caps the bundle's size and all its members' expanded sizes together. The
    run's weights are finite and fit its model settings, so ``vae.training.models.build_model``
    of ``run.model_config`` plus ``load_weights`` (or ``set_network_weights``) restores the model.

    Raises:
        BundleError: with a one-line message saying what is wrong and what to do.
    """
    contents = read_bundle(data, max_total_bytes=max_total_bytes)
    return contents.run, contents.dataset


def summarize_bundle(data: bytes) -> str:
    """A few lines describing a bundle, for ``python -m vae info run.zip``.

    Raises:
        BundleError: if the bundle is invalid.
    """
    contents = read_bundle(data)
    run, dataset, meta = contents.run, contents.dataset, contents.meta
    m, t = run.model_config, run.train_config
    app = meta.get("app") or {}
    libs = meta.get("libraries") or {}
    last = run.history[-1] if run.history else {}

    def num(key: str) -> str:
        value = last.get(key)
        return "-" if value is None else f"{value:.4f}"

    labels = "none" if dataset.labels is None else f"{pd.Series(dataset.labels).nunique()} distinct"
    lines = [
        f"Latent Lab run bundle (format {meta.get('format_version')}, saved {meta.get('saved_at') or '?'} "
        f"by Latent Lab {app.get('version', '?')})",
        f"model:    {m.label}, {m.input_dim} -> {list(m.encoder_units)} -> {m.latent_dim} -> "
        f"{list(m.decoder_units)} -> {m.input_dim}, {m.activation}, decoder_std={m.decoder_std:g}",
        f"training: {t.optimizer} lr={t.learning_rate:g} batch={t.batch_size} epochs={t.epochs} "
        f"seed={t.seed}; status {run.status}, {run.epochs_done} epoch(s) done, trained in {run.origin or 'Train'}",
        f"last epoch (nats per point): loss {num('loss')}, recon {num('recon')}, kl {num('kl')}"
        + (f", val_loss {num('val_loss')}" if "val_loss" in last else ""),
        f"dataset:  {dataset.name} ({dataset.config.source}), {dataset.n_rows:,} rows x "
        f"{dataset.n_dims} columns, {dataset.config.scaling} scaling, labels: {labels}",
        "libraries: " + ", ".join(f"{k} {v}" for k, v in libs.items() if isinstance(v, str)),
    ]
    if run.message:
        lines.append(f"message:  {run.message}")
    return "\n".join(lines)
