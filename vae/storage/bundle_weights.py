"""A bundle's weights and snapshots: Keras 3 ``.weights.h5`` files written and read with h5py.

Reading treats the file as hostile: every dataset's path, shape, dtype and
storage is checked against the architecture the config implies.
"""

from __future__ import annotations

import io

import h5py
import numpy as np

from vae.config import ModelConfig
from vae.core.decode import NetworkWeights, weights_from_arrays
from vae.core.snapshots import MAX_SNAPSHOTS, stacked
from vae.storage.bundle_format import SNAPSHOTS, WEIGHTS, BundleError, one_line


def _dense_group(index: int) -> str:
    # Keras names the layers of a functional model by class, in order: dense, dense_1, ...
    return "dense" if index == 0 else f"dense_{index}"


def weight_layout(config: ModelConfig) -> dict[str, tuple[str, tuple[int, int], int]]:
    """Where each Dense layer lives in a Keras ``.weights.h5`` file of ``vae.training.models.Autoencoder``.

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
            f"model.weights.h5 is not a readable HDF5 weights file ({one_line(err)}). "
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
        raise BundleError(f"snapshots.h5 is not a readable HDF5 file ({one_line(err)}). {hint}") from err
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
