"""Run bundles: save a trained run to one zip and load it back, safely.

A bundle is a zip of plain files a person can open::

    config.json          format version, app and library versions, the data,
                         model and training settings, dataset and run facts
    model.weights.h5     the weights, in the layout Keras 3's
                         ``model.save_weights`` writes for ``vae.models.Autoencoder``
                         (so ``model.load_weights("model.weights.h5")`` reads it)
    dataset.csv          the data in original units (labels last)
    standardizer.json    how the data were scaled for training
    history.csv          one row per epoch (losses in nats per point)
    latents.csv          the encoder's z_mean and z_log_var for every row
    snapshots.h5         (optional) the weights at the run's snapshot epochs
                         (``vae.snapshots``): ``epochs`` (n,) and each Keras
                         layout array stacked along a first axis of n

Loading treats the bytes as hostile. A zip with more members (or a larger
central directory) than a bundle has is refused before zipfile parses its
directory; then only the six names above are accepted, each once (so no
``..`` or absolute path gets through), and each is read with size caps
(declared and actual), never with ``extractall``. ``config.json`` is parsed strictly
(unknown keys are errors); the weights are read with h5py and every dataset's
path, shape and dtype is checked against the architecture the config implies,
and its storage too (only plain arrays inside the file itself: no external
files, virtual datasets or filters), then checked finite. Nothing is unpickled and no layer is deserialized: the
caller rebuilds the model from the validated config and loads the weights
(Keras's ``load_model`` on an upload can run code; see DESIGN.md).

This module never imports TensorFlow (h5py is enough), so the Streamlit
process can call it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import struct
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, get_args

import h5py
import numpy as np
import pandas as pd

import vae
from vae import spreadsheet
from vae.config import SCALINGS, DataConfig, ModelConfig, TrainConfig
from vae.data import MAX_ABS_VALUE, MAX_ROWS, Dataset, Standardizer, out_of_memory_as, to_csv_bytes
from vae.decode import NetworkWeights, decode, encode, latent_grid, weights_from_arrays
from vae.run import Run, RunStatus
from vae.snapshots import MAX_SNAPSHOTS, SnapshotStore, stacked

FORMAT = "latent-lab-run"
FORMAT_VERSION = 1

CONFIG = "config.json"
WEIGHTS = "model.weights.h5"
DATASET = "dataset.csv"
STANDARDIZER = "standardizer.json"
HISTORY = "history.csv"
LATENTS = "latents.csv"
SNAPSHOTS = "snapshots.h5"
MEMBERS = (CONFIG, WEIGHTS, DATASET, STANDARDIZER, HISTORY, LATENTS)  # every bundle has these
OPTIONAL_MEMBERS = (SNAPSHOTS,)  # bundles saved before the epoch timeline lack it
ALLOWED_MEMBERS = MEMBERS + OPTIONAL_MEMBERS

# Caps on untrusted input. The server refuses uploads over 100 MB (compressed);
# these bound what those bytes may expand to.
MAX_TOTAL_BYTES = 400 * 1024 * 1024
MAX_JSON_BYTES = 1024 * 1024  # config.json and standardizer.json are a few kB
MAX_TEXT = 500  # characters in any name or message string from a bundle
# A central-directory entry is 46 bytes plus its name, extra fields and comment; Latent Lab writes
# about 70 per member, other zip tools add timestamps (~30). 1 KiB each leaves room and keeps
# zipfile from parsing more than ~130 entries of a hostile directory.
MAX_DIRECTORY_BYTES = len(ALLOWED_MEMBERS) * 1024
_CHUNK = 1024 * 1024

_STATUSES: tuple[str, ...] = get_args(RunStatus)
_LIBRARIES = ("numpy", "pandas", "h5py", "streamlit", "keras", "tensorflow", "plotly")
_LABEL_DTYPES = (
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "bool",
    "str",
)
_HISTORY_KEY = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


class BundleError(ValueError):
    """A run bundle that cannot be saved or loaded, with a one-line message saying what to do."""


# ---------------------------------------------------------------------------
# The weights file (Keras 3 .weights.h5 layout, written and read with h5py)
# ---------------------------------------------------------------------------


def _dense_group(index: int) -> str:
    # Keras names the layers of a functional model by class, in order: dense, dense_1, ...
    return "dense" if index == 0 else f"dense_{index}"


def weight_layout(config: ModelConfig) -> dict[str, tuple[str, tuple[int, int], int]]:
    """Where each Dense layer lives in a Keras ``.weights.h5`` file of ``vae.models.Autoencoder``.

    Args:
        config: the architecture.

    Returns:
        ``{group path: (layer name, kernel shape, bias length)}`` in
        ``NetworkWeights.arrays()`` order; each group holds datasets ``0``
        (kernel) and ``1`` (bias), and carries a ``name`` attribute.
    """
    layout: dict[str, tuple[str, tuple[int, int], int]] = {}
    size = config.input_dim
    for i, units in enumerate(config.encoder_units):
        layout[f"encoder/layers/{_dense_group(i)}/vars"] = (f"encoder_dense_{i + 1}", (size, units), units)
        size = units
    n_enc = len(config.encoder_units)
    for j, head in enumerate(("z_mean", "z_log_var")):
        layout[f"encoder/layers/{_dense_group(n_enc + j)}/vars"] = (
            head,
            (size, config.latent_dim),
            config.latent_dim,
        )
    size = config.latent_dim
    for i, units in enumerate(config.decoder_units):
        layout[f"decoder/layers/{_dense_group(i)}/vars"] = (f"decoder_dense_{i + 1}", (size, units), units)
        size = units
    layout[f"decoder/layers/{_dense_group(len(config.decoder_units))}/vars"] = (
        "x_mean",
        (size, config.input_dim),
        config.input_dim,
    )
    return layout


def _empty_groups(config: ModelConfig) -> dict[str, str]:
    """Groups Keras writes that hold no variables: ``{path: name attribute}``."""
    return {
        "vars": config.kind,  # the Autoencoder itself; its name is its kind
        "encoder/vars": "encoder",
        "encoder/layers/input_layer/vars": "x",
        "decoder/vars": "decoder",
        "decoder/layers/input_layer/vars": "z",
        "layers/sampling/vars": "sampling",
    }


def weights_to_h5(config: ModelConfig, weights: NetworkWeights) -> bytes:
    """The bytes of a ``.weights.h5`` file Keras's ``Autoencoder.load_weights`` reads.

    Raises:
        BundleError: if the weights do not fit ``config``.
    """
    _check_weights_fit(config, weights)
    layout = weight_layout(config)
    arrays = weights.arrays()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for path, name in _empty_groups(config).items():
            f.require_group(path).attrs["name"] = name
        for i, (path, (name, _, _)) in enumerate(layout.items()):
            group = f.require_group(path)
            group.attrs["name"] = name
            group["0"] = np.asarray(arrays[2 * i], np.float32)
            group["1"] = np.asarray(arrays[2 * i + 1], np.float32)
    return buffer.getvalue()


def _check_weights_fit(config: ModelConfig, weights: NetworkWeights) -> None:
    layout = weight_layout(config)
    arrays = weights.arrays()
    if len(arrays) != 2 * len(layout):
        raise BundleError(
            f"The weights have {len(arrays) // 2} layers but the model settings imply "
            f"{len(layout)}; save the run the weights came from."
        )
    for i, (name, kernel, bias) in enumerate(layout.values()):
        got = (tuple(arrays[2 * i].shape), tuple(arrays[2 * i + 1].shape))
        if got != (kernel, (bias,)):
            raise BundleError(
                f"Layer {name} has weights of shapes {got[0]} and {got[1]}, but the model "
                f"settings imply {kernel} and ({bias},); save the run the weights came from."
            )
    if weights.activation != config.activation:
        raise BundleError(
            f"The weights use activation {weights.activation!r} but the settings say {config.activation!r}."
        )


def _walk_h5(
    member: str,
    group: h5py.Group,
    prefix: str,
    groups: dict[str, h5py.Group],
    datasets: dict[str, h5py.Dataset],
) -> None:
    # Walk by links, not objects: a soft or external link (which could point at
    # another file on this computer) is refused instead of followed.
    for key in group:
        path = f"{prefix}{key}"
        link = group.get(key, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise BundleError(
                f"{member} has a link at {path!r}; a weights file holds only "
                f"groups and arrays. Re-save the run from Latent Lab."
            )
        item = group.get(key)
        if isinstance(item, h5py.Group):
            groups[path] = item
            _walk_h5(member, item, f"{path}/", groups, datasets)
        elif isinstance(item, h5py.Dataset):
            _check_storage(member, path, item)
            datasets[path] = item
        else:
            raise BundleError(f"{member} has an unexpected object at {path!r}.")


# Where an array's bytes may live: in the uploaded file itself. HDF5 can also keep them in other
# files on this computer (external storage: /proc/self/environ reads the server's environment, a
# FIFO hangs the reader) or map them from other datasets and files (virtual layout).
_IN_FILE_LAYOUTS = (h5py.h5d.COMPACT, h5py.h5d.CONTIGUOUS, h5py.h5d.CHUNKED)


def _check_storage(member: str, path: str, ds: h5py.Dataset) -> None:
    """Refuse an array whose bytes are not plainly inside the file, before any of them is read.

    Read from the dataset creation property list (metadata only): the layout
    must be compact, contiguous or chunked (not virtual), with no external
    storage and no filters (Keras writes none; an unknown filter makes HDF5
    search its plugin path for a library to load).
    """
    dcpl = ds.id.get_create_plist()
    layout = dcpl.get_layout()
    if layout not in _IN_FILE_LAYOUTS:
        kind = (
            "a virtual dataset (mapped from other datasets or files)"
            if layout == h5py.h5d.VIRTUAL
            else "not stored in the file"
        )
        raise BundleError(
            f"{member} array {path} is {kind}; a weights file must hold its own "
            f"values. Re-save the run from Latent Lab."
        )
    if dcpl.get_external_count():
        raise BundleError(
            f"{member} array {path} keeps its values in external files on this computer; "
            f"refusing to read them. Re-save the run from Latent Lab."
        )
    if dcpl.get_nfilters():
        raise BundleError(
            f"{member} array {path} is compressed or filtered ({dcpl.get_nfilters()} "
            f"filter(s)); Latent Lab writes plain arrays. Re-save the run from Latent Lab."
        )


def weights_from_h5(config: ModelConfig, data: bytes) -> NetworkWeights:
    """Read and validate a ``.weights.h5`` file for the architecture ``config`` implies.

    Every array must sit where Keras puts it for this architecture, with the
    right shape and dtype float32, stored inside the file (compact, contiguous
    or chunked, unfiltered: checked before any value is read); extra or missing
    arrays, links, other storage and non-finite values are errors.

    Raises:
        BundleError: naming the first problem.
    """
    layout = weight_layout(config)
    expected: dict[str, tuple[int, ...]] = {}
    for path, (_, kernel, bias) in layout.items():
        expected[f"{path}/0"] = kernel
        expected[f"{path}/1"] = (bias,)
    allowed_groups = set()
    for path in [*layout, *_empty_groups(config)]:
        parts = path.split("/")
        allowed_groups.update("/".join(parts[:k]) for k in range(1, len(parts) + 1))
    hint = (
        "The weights do not match the model settings in config.json (another architecture?); "
        "save the bundle again from the run that made these weights."
    )
    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            groups: dict[str, h5py.Group] = {}
            datasets: dict[str, h5py.Dataset] = {}
            _walk_h5(WEIGHTS, f, "", groups, datasets)
            extra_groups = sorted(set(groups) - allowed_groups)
            extra = sorted(set(datasets) - set(expected))
            missing = sorted(set(expected) - set(datasets))
            if extra or extra_groups:
                raise BundleError(
                    f"model.weights.h5 has arrays or groups the model does not have "
                    f"({', '.join((extra + extra_groups)[:3])}). {hint}"
                )
            if missing:
                raise BundleError(
                    f"model.weights.h5 lacks {len(missing)} array(s) the model needs "
                    f"(first: {missing[0]}). {hint}"
                )
            arrays: list[np.ndarray] = []
            for path, shape in expected.items():
                ds = datasets[path]
                if tuple(ds.shape) != shape:
                    raise BundleError(
                        f"model.weights.h5 array {path} has shape {tuple(ds.shape)}, the "
                        f"model settings imply {shape}. {hint}"
                    )
                if ds.dtype != np.float32:
                    raise BundleError(
                        f"model.weights.h5 array {path} has dtype {ds.dtype}; expected "
                        f"float32. Re-save the run from Latent Lab."
                    )
                arrays.append(np.array(ds[()], np.float32))
    except BundleError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, OverflowError) as err:
        raise BundleError(
            f"model.weights.h5 is not a readable HDF5 weights file ({_short(err)}). "
            f"Re-save the run from Latent Lab."
        ) from err
    for path, array in zip(expected, arrays, strict=True):
        if not np.isfinite(array).all():
            raise BundleError(
                f"model.weights.h5 array {path} holds NaN or infinite values; this run "
                f"cannot be explored. Retrain (e.g. with a lower learning rate) and save again."
            )
    return weights_from_arrays(config, arrays)


def snapshots_to_h5(config: ModelConfig, items: list[tuple[int, NetworkWeights]]) -> bytes:
    """The bytes of ``snapshots.h5``: ``epochs`` and each layout array stacked over the snapshots.

    Raises:
        BundleError: if a snapshot does not fit ``config``.
    """
    for _, weights in items:
        _check_weights_fit(config, weights)
    epochs, arrays = stacked(items)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f["epochs"] = epochs
        for i, path in enumerate(weight_layout(config)):
            group = f.require_group(path)
            group["0"] = arrays[2 * i].astype(np.float32, copy=False)
            group["1"] = arrays[2 * i + 1].astype(np.float32, copy=False)
    return buffer.getvalue()


def snapshots_from_h5(config: ModelConfig, data: bytes, last_epoch: int) -> list[tuple[int, NetworkWeights]]:
    """Read and validate ``snapshots.h5`` for the architecture ``config`` implies.

    ``epochs`` must be int64, strictly ascending, within [1, ``last_epoch``]
    and at most ``MAX_SNAPSHOTS`` long; every layout array must be float32
    with that many snapshots of the layer's shape, finite; nothing else may
    be in the file (checked as strictly as ``weights_from_h5``).

    Returns:
        ``[(epoch, weights), ...]`` ascending.

    Raises:
        BundleError: naming the first problem.
    """
    layout = weight_layout(config)
    allowed_groups = set()
    for path in layout:
        parts = path.split("/")
        allowed_groups.update("/".join(parts[:k]) for k in range(1, len(parts) + 1))
    hint = "Save the run again from Latent Lab (or remove snapshots.h5 from the zip to load it without its timeline)."
    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            groups: dict[str, h5py.Group] = {}
            datasets: dict[str, h5py.Dataset] = {}
            _walk_h5(SNAPSHOTS, f, "", groups, datasets)
            ds = datasets.get("epochs")
            if ds is None or ds.ndim != 1 or ds.dtype != np.int64 or not 1 <= ds.shape[0] <= MAX_SNAPSHOTS:
                raise BundleError(
                    f"snapshots.h5 needs an int64 array 'epochs' of 1 to {MAX_SNAPSHOTS} entries. {hint}"
                )
            n = ds.shape[0]
            expected: dict[str, tuple[int, ...]] = {}
            for path, (_, kernel, bias) in layout.items():
                expected[f"{path}/0"] = (n, *kernel)
                expected[f"{path}/1"] = (n, bias)
            extra = sorted((set(datasets) - set(expected) - {"epochs"}) | (set(groups) - allowed_groups))
            missing = sorted(set(expected) - set(datasets))
            if extra or missing:
                raise BundleError(
                    f"snapshots.h5 does not match the model settings ("
                    f"{'unexpected ' + extra[0] if extra else 'lacks ' + missing[0]}). {hint}"
                )
            for path, shape in expected.items():
                if tuple(datasets[path].shape) != shape or datasets[path].dtype != np.float32:
                    raise BundleError(
                        f"snapshots.h5 array {path} has shape {tuple(datasets[path].shape)} and dtype "
                        f"{datasets[path].dtype}; the model settings imply float32 {shape}. {hint}"
                    )
            epochs = np.array(ds[()], np.int64)
            arrays = [np.array(datasets[path][()], np.float32) for path in expected]
    except BundleError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, OverflowError) as err:
        raise BundleError(f"snapshots.h5 is not a readable HDF5 file ({_short(err)}). {hint}") from err
    if epochs[0] < 1 or epochs[-1] > last_epoch or np.any(np.diff(epochs) <= 0):
        raise BundleError(
            f"snapshots.h5 epochs must ascend within 1..{last_epoch} (the run's epochs). "
            f"Received: {epochs[:5].tolist()}… {hint}"
        )
    for path, array in zip(expected, arrays, strict=True):
        if not np.isfinite(array).all():
            raise BundleError(f"snapshots.h5 array {path} holds NaN or infinite values. {hint}")
    return [
        (int(epoch), weights_from_arrays(config, [array[i] for array in arrays]))
        for i, epoch in enumerate(epochs)
    ]


def _last_epoch(history: list[dict[str, Any]]) -> int:
    return max((int(record["epoch"]) for record in history), default=0)


# ---------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------


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
    return name if name in _LABEL_DTYPES else "str"


def _csv_header(data: bytes) -> list[str]:
    first = data.split(b"\n", 1)[0].decode("utf-8")
    return next(csv.reader([first]))


def _history_csv(history: list[dict[str, Any]]) -> bytes:
    keys: list[str] = []
    for record in history:
        for key, value in record.items():
            numeric = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            if numeric and key not in keys:
                keys.append(key)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(keys)
    for record in history:
        # An empty cell is a missing value; repr() round-trips every float (nan and inf too).
        writer.writerow(["" if k not in record else repr(_plain(record[k])) for k in keys])
    return out.getvalue().encode("utf-8")


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


def decoded_grid_csv(
    weights: NetworkWeights, dataset: Dataset, *, low: float = -3.0, high: float = 3.0, steps: int = 21
) -> bytes:
    """The decoder's output over a square grid of the 2-D latent plane, in original units, as CSV.

    Columns ``z1, z2`` then the dataset's columns; rows go along z1 first
    (``vae.decode.latent_grid``).

    Raises:
        BundleError: if the code is not 2-D or the grid is too large.
    """
    if weights.latent_dim != 2:
        raise BundleError(f"A latent grid needs a 2-D code. Received: latent_dim={weights.latent_dim}")
    if not 2 <= steps <= 201:
        raise BundleError(f"steps must be in [2, 201]. Received: steps={steps}")
    z = latent_grid(low, high, steps)
    x = dataset.standardizer.inverse_transform(decode(weights, z))
    names = [f"x_{c}" if c in ("z1", "z2") else c for c in dataset.columns]  # keep the header unique
    frame = pd.DataFrame(np.hstack([z.astype(np.float64), x]), columns=["z1", "z2", *names])
    return spreadsheet.csv_bytes(frame)  # a download only: column names made formula-safe


def save_bundle(run: Run, dataset: Dataset) -> bytes:
    """A run, its dataset and its results as the bytes of a zip file.

    Args:
        run: a run with weights (trained at least one epoch).
        dataset: the data it was trained on.

    Returns:
        The zip's bytes (see the module docstring for its members).

    Raises:
        BundleError: if the run has no weights or does not fit the dataset.
    """
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
    label_column = _csv_header(dataset_csv)[-1] if dataset.labels is not None else None
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
        "run": {"status": run.status, "message": run.message, "epochs": run.epochs_done},
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


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


@dataclass
class BundleContents:
    """Everything a bundle holds, validated.

    Attributes:
        run: the run (status "finished" or "stopped"; a bundle never trains).
        dataset: the data, with the saved standardizer.
        meta: config.json's app, library and save-time facts.
        latents: (n, 2 * latent_dim) z_mean then z_log_var, as saved.
    """

    run: Run
    dataset: Dataset
    meta: dict[str, Any] = field(default_factory=dict)
    latents: np.ndarray | None = None


def _short(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text[:200]


def _check_member_count(count: int) -> None:
    if count > len(ALLOWED_MEMBERS):
        raise BundleError(
            f"The bundle has {count:,} members; a run bundle holds at most {len(ALLOWED_MEMBERS)} "
            f"({', '.join(ALLOWED_MEMBERS)}). Use a bundle saved by Latent Lab."
        )


def _check_directory(data: bytes) -> None:
    """Refuse a zip whose central directory is larger than a run bundle's, before it is parsed.

    ``zipfile.ZipFile`` builds a ``ZipInfo`` for every central-directory entry
    when it opens (3 s of CPU per 200,000 members, measured; a 100 MB upload
    holds over a million), so the count and the directory's size are read
    first from the end-of-central-directory record, with zipfile's own reader
    (the one ``ZipFile`` calls). The count alone can lie; the directory's size
    bounds what ``ZipFile`` parses.
    """
    try:
        end = zipfile._EndRecData(io.BytesIO(bytes(data)))
    except (zipfile.BadZipFile, OSError, ValueError, struct.error) as err:
        raise BundleError(
            f"The zip archive is damaged or truncated ({_short(err)}); download the bundle again."
        ) from err
    if not end:
        raise BundleError(
            "The zip archive is damaged or truncated (no central directory); download it again."
        )
    _check_member_count(end[zipfile._ECD_ENTRIES_TOTAL])
    if end[zipfile._ECD_SIZE] > MAX_DIRECTORY_BYTES:
        raise BundleError(
            f"The zip's directory is {end[zipfile._ECD_SIZE]:,} bytes, more than a run bundle's "
            f"{len(ALLOWED_MEMBERS)} members need ({MAX_DIRECTORY_BYTES:,}); use a bundle saved by Latent Lab."
        )


def _read_members(data: bytes, max_total_bytes: int) -> dict[str, bytes]:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise BundleError(f"A bundle must be bytes. Received: {type(data).__name__}")
    if len(data) > max_total_bytes:
        raise BundleError(
            f"The bundle is {len(data):,} bytes, over the {max_total_bytes:,}-byte limit; "
            f"this is not a Latent Lab bundle (or a far larger one than it writes)."
        )
    if bytes(data[:4]) != b"PK\x03\x04":
        raise BundleError("This file is not a zip archive; choose a run bundle (.zip) saved by Latent Lab.")
    _check_directory(data)
    try:
        zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError) as err:
        raise BundleError(
            f"The zip archive is damaged or truncated ({_short(err)}); download the bundle again."
        ) from err
    with zf:
        infos = zf.infolist()
        _check_member_count(len(infos))
        # The whitelist is the path check: "../x", "/etc/passwd" or "C:x" is simply not a member name.
        names = [info.filename for info in infos]
        unknown = [n for n in names if n not in ALLOWED_MEMBERS]
        if unknown:
            raise BundleError(
                f"The bundle has an unknown member {unknown[0][:80]!r}; a run bundle holds "
                f"only {', '.join(ALLOWED_MEMBERS)}."
            )
        twice = [name for name, count in Counter(names).items() if count > 1]
        if twice:
            raise BundleError(
                f"The bundle has two members named {twice[0]!r}; it was tampered "
                f"with. Use a bundle saved by Latent Lab."
            )
        missing = [n for n in MEMBERS if n not in names]
        if missing:
            raise BundleError(
                f"The bundle lacks {', '.join(missing)}; it is incomplete. Save the run "
                f"again (Runs page, or python -m vae train ... --out run.zip)."
            )
        declared = sum(info.file_size for info in infos)
        if declared > max_total_bytes:
            raise BundleError(
                f"The bundle would expand to {declared:,} bytes, over the "
                f"{max_total_bytes:,}-byte limit; refusing to extract it (a zip bomb?)."
            )
        out: dict[str, bytes] = {}
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise BundleError(
                    f"Bundle member {info.filename} is encrypted; save it again without a password."
                )
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise BundleError(
                    f"Bundle member {info.filename} uses an unsupported compression; "
                    f"save the run again from Latent Lab."
                )
            cap = MAX_JSON_BYTES if info.filename.endswith(".json") else max_total_bytes
            if info.file_size > cap:
                raise BundleError(
                    f"Bundle member {info.filename} declares {info.file_size:,} bytes, "
                    f"over its {cap:,}-byte limit; refusing to extract it."
                )
            # Bounded read: never trust the declared size, stop at the cap.
            parts: list[bytes] = []
            size = 0
            try:
                with zf.open(info) as member:
                    while True:
                        chunk = member.read(_CHUNK)
                        if not chunk:
                            break
                        size += len(chunk)
                        total += len(chunk)
                        if size > cap or total > max_total_bytes:
                            raise BundleError(
                                f"Bundle member {info.filename} expands past the "
                                f"{min(cap, max_total_bytes):,}-byte limit; refusing to "
                                f"extract it (a zip bomb?)."
                            )
                        parts.append(chunk)
            except BundleError:
                raise
            except (
                zipfile.BadZipFile,
                zlib.error,
                OSError,
                ValueError,
                EOFError,
                RuntimeError,
                NotImplementedError,
            ) as err:
                raise BundleError(
                    f"Bundle member {info.filename} is damaged or truncated "
                    f"({_short(err)}); download the bundle again."
                ) from err
            if size != info.file_size:
                raise BundleError(
                    f"Bundle member {info.filename} holds {size:,} bytes but declares "
                    f"{info.file_size:,}; the zip is damaged or tampered with."
                )
            out[info.filename] = b"".join(parts)
    return out


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _parse_json(name: str, payload: bytes) -> Any:
    try:
        return json.loads(payload.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise BundleError(f"{name} is not valid JSON ({_short(err)}); the bundle is damaged.") from err


def _expect_keys(where: str, value: Any, required: set[str], optional: set[str] = frozenset()) -> dict:
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


def _text(where: str, value: Any, *, allow_none: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise BundleError(
            f"{where} must be a string of at most {MAX_TEXT} characters. Received: {type(value).__name__}"
        )
    return value


def _text_list(where: str, value: Any, max_items: int) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > max_items:
        raise BundleError(f"{where} must be a list of at most {max_items:,} strings.")
    return tuple(_text(where, v) for v in value)  # type: ignore[misc]


def _settings(where: str, cls, values: Any):
    try:
        return cls.from_dict(values)
    except (ValueError, TypeError) as err:
        raise BundleError(f"config.json {where}: {_short(err)}") from err


def _data_config(where: str, values: Any) -> DataConfig:
    config = _settings(where, DataConfig, values)
    for key in ("preset", "name"):
        _text(f"config.json {where}.{key}", getattr(config, key))
    _text(f"config.json {where}.label_column", config.label_column, allow_none=True)
    _text_list(f"config.json {where}.columns", list(config.columns), 4096)
    for key, value in config.params.items():
        scalar = isinstance(value, (int, float, bool)) or (isinstance(value, str) and len(value) <= 100)
        if not isinstance(key, str) or len(key) > 40 or not scalar:
            raise BundleError(
                f"config.json {where}.params must map short names to numbers or short "
                f"strings. Received: {key[:40]!r}"
            )
    return config


def _check_format(config: dict) -> None:
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
        raise BundleError(f"{name} is not a readable CSV ({_short(err)}); the bundle is damaged.") from err


def _read_csv(name: str, payload: bytes, expected_columns: list[str]) -> pd.DataFrame:
    frame = _parse_csv(name, payload)
    if list(frame.columns) != expected_columns:
        got = ", ".join(map(str, list(frame.columns)[:6]))
        raise BundleError(
            f"{name} has columns [{got[:200]}], expected [{', '.join(expected_columns)[:200]}]; "
            f"the bundle is damaged or tampered with."
        )
    return frame


def _floats(name: str, frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    # Column by column, text to float64 in pandas: memory stays that of the text. NumPy's
    # fixed-width strings (np.array(cells, dtype=str)) took rows x columns x the longest cell x 4
    # bytes: one 1,000-digit cell in a 27 KB zipped 100,000-row latents.csv asked for 1.7 GB.
    values = np.empty((len(frame), len(columns)), np.float64)
    try:
        for j, column in enumerate(columns):
            values[:, j] = frame[column].astype(np.float64).to_numpy()
    except (ValueError, TypeError) as err:
        raise BundleError(
            f"{name} holds a value that is not a number ({_short(err)}); the bundle is damaged."
        ) from err
    return values


def _dataset(config: dict, members: dict[str, bytes], data_config: DataConfig, input_dim: int) -> Dataset:
    info = _expect_keys(
        "config.json dataset",
        config["dataset"],
        {"config", "columns", "n_rows", "label_column", "label_dtype", "notes", "warnings"},
    )
    ds_config = _data_config("dataset.config", info["config"])
    columns = list(_text_list("config.json dataset.columns", info["columns"], 4096))
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
    label_column = _text("config.json dataset.label_column", info["label_column"], allow_none=True)
    label_dtype = info["label_dtype"]
    if (label_column is None) != (label_dtype is None) or (
        label_dtype is not None and label_dtype not in _LABEL_DTYPES
    ):
        raise BundleError(
            f"config.json dataset.label_dtype must be one of {', '.join(_LABEL_DTYPES)} "
            f"(or null with no label column). Received: {str(label_dtype)[:20]!r}"
        )
    header = columns + ([label_column] if label_column is not None else [])
    frame = _read_csv(DATASET, members[DATASET], header)
    if len(frame) != n_rows:
        raise BundleError(
            f"dataset.csv has {len(frame):,} rows but config.json says {n_rows:,}; the bundle is damaged."
        )
    values = _floats(DATASET, frame, columns)
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
        try:
            labels = (
                raw  # text stays Python strings: astype(str) would be rows x the longest label x 4 bytes
                if label_dtype == "str"
                else np.array(
                    [float(v) for v in raw]
                    if label_dtype.startswith("float")
                    else [v == "True" for v in raw]
                    if label_dtype == "bool"
                    else [int(v) for v in raw],
                    dtype=label_dtype,
                )
            )
        except (ValueError, OverflowError) as err:
            raise BundleError(
                f"dataset.csv column {label_column[:40]!r} does not hold {label_dtype} "
                f"labels ({_short(err)}); the bundle is damaged."
            ) from err
    scaler = _expect_keys(
        "standardizer.json", _parse_json(STANDARDIZER, members[STANDARDIZER]), {"method", "offset", "scale"}
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
        raise BundleError(f"standardizer.json is invalid ({_short(err)}); the bundle is damaged.") from err
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
    del data_config  # the run's own data settings; the dataset carries its own copy
    return Dataset(
        values=np.ascontiguousarray(values),
        columns=tuple(columns),
        standardizer=standardizer,
        config=ds_config,
        labels=labels,
        notes=_text_list("config.json dataset.notes", info["notes"], 100),
        warnings=_text_list("config.json dataset.warnings", info["warnings"], 100),
    )


def _history(payload: bytes) -> list[dict[str, Any]]:
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
            record: dict[str, Any] = {}
            for key, cell in zip(keys, row, strict=True):
                if cell == "":
                    continue
                record[key] = int(cell) if key == "epoch" else float(cell)
            if "epoch" not in record:
                raise ValueError("a row has no epoch")
            history.append(record)
    except ValueError as err:
        raise BundleError(
            f"history.csv holds a value that is not a number ({_short(err)}); the bundle is damaged."
        ) from err
    return history


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
    members = _read_members(data, max_total_bytes)
    config = _expect_keys(
        "config.json",
        _parse_json(CONFIG, members[CONFIG]),
        {"format", "format_version", "data", "model", "train", "dataset", "run"},
        {"app", "libraries", "saved_at"},
    )
    _check_format(config)
    data_config = _data_config("data", config["data"])
    model_config = _settings("model", ModelConfig, config["model"])
    train_config = _settings("train", TrainConfig, config["train"])
    run_info = _expect_keys("config.json run", config["run"], {"status", "message", "epochs"})
    status = run_info["status"]
    if status not in _STATUSES:
        raise BundleError(
            f"config.json run.status must be one of {', '.join(_STATUSES)}. Received: {str(status)[:40]!r}"
        )
    message = _text("config.json run.message", run_info["message"]) or ""
    weights = weights_from_h5(model_config, members[WEIGHTS])
    dataset = _dataset(config, members, data_config, model_config.input_dim)
    _check_outputs(weights, dataset)
    history = _history(members[HISTORY])
    frame = _read_csv(LATENTS, members[LATENTS], latent_columns(model_config.latent_dim))
    if len(frame) != dataset.n_rows:
        raise BundleError(
            f"latents.csv has {len(frame):,} rows but the dataset has {dataset.n_rows:,}; "
            f"the bundle is damaged."
        )
    latents = _floats(LATENTS, frame, latent_columns(model_config.latent_dim))
    snapshots = (
        SnapshotStore.from_items(snapshots_from_h5(model_config, members[SNAPSHOTS], _last_epoch(history)))
        if SNAPSHOTS in members
        else SnapshotStore()
    )
    meta = {k: config.get(k) for k in ("format_version", "app", "libraries", "saved_at")}
    for key in ("app", "libraries"):
        if meta[key] is not None and (not isinstance(meta[key], dict) or len(json.dumps(meta[key])) > 4000):
            raise BundleError(f"config.json {key} must be a small JSON object; the bundle is damaged.")
    # A bundle never trains: a run saved mid-training comes back stopped.
    if status in ("starting", "training", "paused"):
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
    """Load a run bundle written by ``save_bundle``, validating everything.

    Args:
        data: the zip's bytes (an upload: untrusted).
        max_total_bytes: cap on the bundle's size and on all members' expanded
            sizes together.

    Returns:
        ``(run, dataset)``; the run's weights are finite and fit its model
        settings, so ``vae.models.build_model(run.model_config)`` plus
        ``load_weights`` (or ``set_network_weights``) restores the model.

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
        f"seed={t.seed}; status {run.status}, {run.epochs_done} epoch(s) done",
        f"last epoch (nats per point): loss {num('loss')}, recon {num('recon')}, kl {num('kl')}"
        + (f", val_loss {num('val_loss')}" if "val_loss" in last else ""),
        f"dataset:  {dataset.name} ({dataset.config.source}), {dataset.n_rows:,} rows x "
        f"{dataset.n_dims} columns, {dataset.config.scaling} scaling, labels: {labels}",
        "libraries: " + ", ".join(f"{k} {v}" for k, v in libs.items() if isinstance(v, str)),
    ]
    if run.message:
        lines.append(f"message:  {run.message}")
    return "\n".join(lines)
