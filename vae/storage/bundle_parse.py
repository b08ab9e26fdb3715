"""Strict parsers of a bundle's members: JSON settings, the dataset (with its standardizer), the history.

Unknown keys are errors, every value is type- and range-checked, and each message names the member."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import numpy as np
import pandas as pd

from vae.config import SCALINGS, DataConfig
from vae.data.dataset import MAX_ABS_VALUE, MAX_ROWS, Dataset, Standardizer
from vae.storage.bundle_format import (
    DATASET,
    FORMAT,
    FORMAT_VERSION,
    LABEL_DTYPES,
    MAX_TEXT,
    STANDARDIZER,
    BundleError,
    one_line,
)

_HISTORY_KEY = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(name: str, payload: bytes) -> Any:
    try:
        return json.loads(payload.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise BundleError(f"{name} is not valid JSON ({one_line(err)}); the bundle is damaged.") from err


def expect_keys(where: str, value: Any, required: set[str], optional: set[str] = frozenset()) -> dict:
    if not isinstance(value, dict):
        raise BundleError(f"{where} must be a JSON object. Received: {type(value).__name__}")
    unknown = sorted(set(value) - required - optional)
    if unknown:
        raise BundleError(
            f"{where} has unknown key(s) {', '.join(repr(k[:40]) for k in unknown[:5])}; "
            f"this app does not read them. Use a bundle saved by Latent Lab."
        )
    missing = sorted(required - set(value))
    if missing:
        raise BundleError(f"{where} lacks {', '.join(missing)}; the bundle is incomplete.")
    return value


def text_value(where: str, value: Any, *, allow_none: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise BundleError(
            f"{where} must be a string of at most {MAX_TEXT} characters. Received: {type(value).__name__}"
        )
    return value


def text_list(where: str, value: Any, max_items: int) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > max_items:
        raise BundleError(f"{where} must be a list of at most {max_items:,} strings.")
    return tuple(text_value(where, v) for v in value)  # type: ignore[misc]


def settings_from(where: str, cls, values: Any):
    try:
        return cls.from_dict(values)
    except (ValueError, TypeError) as err:
        raise BundleError(f"config.json {where}: {one_line(err)}") from err


def data_config_from(where: str, values: Any) -> DataConfig:
    config = settings_from(where, DataConfig, values)
    for key in ("preset", "name"):
        text_value(f"config.json {where}.{key}", getattr(config, key))
    text_value(f"config.json {where}.label_column", config.label_column, allow_none=True)
    text_list(f"config.json {where}.columns", list(config.columns), 4096)
    for key, value in config.params.items():  # DataConfig checked their types: names and scalars
        if len(key) > 40 or (isinstance(value, str) and len(value) > 100):
            raise BundleError(
                f"config.json {where}.params must map short names to numbers or short "
                f"strings. Received: {key[:40]!r}"
            )
    return config


def check_format(config: dict) -> None:
    fmt, version = config.get("format"), config.get("format_version")
    if fmt != FORMAT:
        raise BundleError(
            f"config.json is not a Latent Lab run (format {str(fmt)[:40]!r}); choose a "
            f"bundle saved by Latent Lab."
        )
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise BundleError(
            f"config.json has an invalid format_version {str(version)[:20]!r}; the bundle is damaged."
        )
    if version > FORMAT_VERSION:
        raise BundleError(
            f"This bundle was saved by a newer Latent Lab (format version {version}; this "
            f"app reads up to {FORMAT_VERSION}). Update Latent Lab to open it."
        )


def _parse_csv(name: str, payload: bytes) -> pd.DataFrame:
    """Every cell as text (nothing guessed), or a BundleError naming the file."""
    try:
        return pd.read_csv(
            io.BytesIO(payload),
            dtype=str,
            keep_default_na=False,
            index_col=False,
            on_bad_lines="error",
            encoding="utf-8",
            engine="c",
        )
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise BundleError(f"{name} is not a readable CSV ({one_line(err)}); the bundle is damaged.") from err


def read_csv(name: str, payload: bytes, expected_columns: list[str], n_rows: int) -> pd.DataFrame:
    """``name``'s cells as text, with exactly ``expected_columns`` and ``n_rows`` rows."""
    frame = _parse_csv(name, payload)
    if list(frame.columns) != expected_columns:
        got = ", ".join(map(str, list(frame.columns)[:6]))
        raise BundleError(
            f"{name} has columns [{got[:200]}], expected [{', '.join(expected_columns)[:200]}]; "
            f"the bundle is damaged or tampered with."
        )
    if len(frame) != n_rows:
        raise BundleError(
            f"{name} has {len(frame):,} rows but config.json says the dataset has {n_rows:,}; the bundle is damaged."
        )
    return frame


def floats(name: str, frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    # Column by column, text to float64 in pandas: memory stays that of the text. NumPy's
    # fixed-width strings (np.array(cells, dtype=str)) took rows x columns x the longest cell x 4
    # bytes: one 1,000-digit cell in a 27 KB zipped 100,000-row latents.csv asked for 1.7 GB.
    values = np.empty((len(frame), len(columns)), np.float64)
    try:
        for j, column in enumerate(columns):
            values[:, j] = frame[column].astype(np.float64).to_numpy()
    except (ValueError, TypeError) as err:
        raise BundleError(
            f"{name} holds a value that is not a number ({one_line(err)}); the bundle is damaged."
        ) from err
    return values


def read_dataset(config: dict, members: dict[str, bytes], input_dim: int) -> Dataset:
    info = expect_keys(
        "config.json dataset",
        config["dataset"],
        {"config", "columns", "n_rows", "label_column", "label_dtype", "notes", "warnings"},
    )
    ds_config = data_config_from("dataset.config", info["config"])
    columns = list(text_list("config.json dataset.columns", info["columns"], 4096))
    if len(columns) != input_dim or len(set(columns)) != len(columns):
        raise BundleError(
            f"config.json dataset.columns lists {len(columns)} column(s) (unique names "
            f"needed) but the model takes {input_dim}; the bundle is inconsistent."
        )
    n_rows = info["n_rows"]
    if isinstance(n_rows, bool) or not isinstance(n_rows, int) or not 2 <= n_rows <= MAX_ROWS:
        raise BundleError(
            f"config.json dataset.n_rows must be an integer in [2, {MAX_ROWS:,}]. "
            f"Received: {str(n_rows)[:20]}"
        )
    label_column = text_value("config.json dataset.label_column", info["label_column"], allow_none=True)
    label_dtype = info["label_dtype"]
    if (label_column is None) != (label_dtype is None) or (
        label_dtype is not None and label_dtype not in LABEL_DTYPES
    ):
        raise BundleError(
            f"config.json dataset.label_dtype must be one of {', '.join(LABEL_DTYPES)} "
            f"(or null with no label column). Received: {str(label_dtype)[:20]!r}"
        )
    header = columns + ([label_column] if label_column is not None else [])
    frame = read_csv(DATASET, members[DATASET], header, n_rows)
    values = floats(DATASET, frame, columns)
    if not np.isfinite(values).all():
        raise BundleError("dataset.csv holds NaN or infinite values; the bundle is damaged.")
    worst = float(np.abs(values).max())
    if worst > MAX_ABS_VALUE:  # the limit uploads have: beyond it float32 training and drawing overflow
        raise BundleError(
            f"dataset.csv holds values up to ±{worst:.3g}, beyond the ±{MAX_ABS_VALUE:.0e} a dataset "
            "may have; the bundle was not saved by Latent Lab or is damaged."
        )
    labels = None
    if label_column is not None:
        raw = frame[label_column].to_numpy(dtype=object)
        # Text stays Python strings: astype(str) would be rows x the longest label x 4 bytes.
        parse = {"str": None, "bool": "True".__eq__}.get(
            label_dtype, float if "float" in label_dtype else int
        )
        try:
            labels = raw if parse is None else np.array([parse(v) for v in raw], dtype=label_dtype)
        except (ValueError, OverflowError) as err:
            raise BundleError(
                f"dataset.csv column {label_column[:40]!r} does not hold {label_dtype} "
                f"labels ({one_line(err)}); the bundle is damaged."
            ) from err
    scaler = expect_keys(
        "standardizer.json", parse_json(STANDARDIZER, members[STANDARDIZER]), {"method", "offset", "scale"}
    )
    try:
        standardizer = Standardizer.from_dict(scaler)
        ok = (
            scaler["method"] in SCALINGS
            and standardizer.offset.shape == (input_dim,)
            and standardizer.scale.shape == (input_dim,)
            and np.isfinite(standardizer.offset).all()
            and np.isfinite(standardizer.scale).all()
            and (standardizer.scale > 0).all()
            # Fitted on values within ±MAX_ABS_VALUE: an offset or a spread beyond that is not one.
            and (np.abs(standardizer.offset) <= MAX_ABS_VALUE).all()
            and (standardizer.scale <= 2 * MAX_ABS_VALUE).all()
        )
    except (ValueError, TypeError) as err:
        raise BundleError(f"standardizer.json is invalid ({one_line(err)}); the bundle is damaged.") from err
    if not ok:
        raise BundleError(
            f"standardizer.json must hold a method ({', '.join(SCALINGS)}) and {input_dim} "
            f"offsets within ±{MAX_ABS_VALUE:.0e} and positive scales; the bundle is damaged."
        )
    if standardizer.method != ds_config.scaling:
        raise BundleError(
            f"standardizer.json says {standardizer.method!r} scaling but the dataset "
            f"settings say {ds_config.scaling!r}; the bundle is inconsistent."
        )
    return Dataset(
        values=np.ascontiguousarray(values),
        columns=tuple(columns),
        standardizer=standardizer,
        config=ds_config,
        labels=labels,
        notes=text_list("config.json dataset.notes", info["notes"], 100),
        warnings=text_list("config.json dataset.warnings", info["warnings"], 100),
    )


def read_history(payload: bytes) -> list[dict[str, Any]]:
    frame = _parse_csv("history.csv", payload)
    keys = [str(k) for k in frame.columns]
    bad = [k for k in keys if not _HISTORY_KEY.match(k)]
    if bad or "epoch" not in keys:
        raise BundleError(
            f"history.csv needs an epoch column and lower-case metric names. "
            f"Received: {', '.join(keys)[:200]}"
        )
    if len(frame) > 1_000_000:
        raise BundleError("history.csv has more rows than any run could have; the bundle is damaged.")
    history: list[dict[str, Any]] = []
    try:
        for row in frame.itertuples(index=False, name=None):
            record: dict[str, Any] = {
                key: int(cell) if key == "epoch" else float(cell)
                for key, cell in zip(keys, row, strict=True)
                if cell != ""  # a missing value
            }
            if "epoch" not in record:
                raise ValueError("a row has no epoch")
            history.append(record)
    except ValueError as err:
        raise BundleError(
            f"history.csv holds a value that is not a number ({one_line(err)}); the bundle is damaged."
        ) from err
    return history
