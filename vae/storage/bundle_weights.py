"""A bundle's weights and snapshots: Keras 3 ``.weights.h5`` files written and read with h5py.

Reading treats the file as hostile: every dataset's path, shape, dtype and
storage is checked against the architecture the config implies.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

import h5py
import numpy as np

from vae.config import ModelConfig
from vae.core.decode import NetworkWeights, weights_from_arrays
from vae.core.snapshots import MAX_SNAPSHOTS, stacked
from vae.storage.bundle_format import SNAPSHOTS, WEIGHTS, BundleError, one_line

Expected = dict[str, tuple[tuple[int, ...], type]]  # {dataset path: (shape, dtype)}


def _dense_group(index: int) -> str:
    # Keras names the layers of a functional model by class, in order: dense, dense_1, ...
    return "dense" if index == 0 else f"dense_{index}"


def _dense_chain(part: str, sizes: tuple[int, ...], names: list[str], first: int = 0) -> dict:
    return {
        f"{part}/layers/{_dense_group(first + i)}/vars": (name, (n_in, n_out), n_out)
        for i, (name, n_in, n_out) in enumerate(zip(names, sizes[:-1], sizes[1:], strict=True))
    }


def weight_layout(config: ModelConfig) -> dict[str, tuple[str, tuple[int, int], int]]:
    """Where each Dense layer lives in a Keras ``.weights.h5`` file of ``vae.training.models.Autoencoder``.

    Returns:
        ``{group path: (layer name, kernel shape, bias length)}`` in
        ``NetworkWeights.arrays()`` order; each group holds datasets ``0``
        (kernel) and ``1`` (bias), and carries a ``name`` attribute.
    """
    encoder = (config.input_dim, *config.encoder_units)
    head = (encoder[-1], config.latent_dim)
    n_enc, n_dec = len(config.encoder_units), len(config.decoder_units)
    return {
        **_dense_chain("encoder", encoder, [f"encoder_dense_{i + 1}" for i in range(n_enc)]),
        **_dense_chain("encoder", head, ["z_mean"], n_enc),
        **_dense_chain("encoder", head, ["z_log_var"], n_enc + 1),
        **_dense_chain(
            "decoder",
            (config.latent_dim, *config.decoder_units, config.input_dim),
            [*(f"decoder_dense_{i + 1}" for i in range(n_dec)), "x_mean"],
        ),
    }


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


def _check_weights_fit(config: ModelConfig, weights: NetworkWeights) -> None:
    shapes = [shape for _, kernel, bias in weight_layout(config).values() for shape in (kernel, (bias,))]
    if [a.shape for a in weights.arrays()] != shapes or weights.activation != config.activation:
        raise BundleError(
            "The weights do not fit the run's model settings (layer shapes or activation); "
            "save the run the weights came from."
        )


def _h5_bytes(config: ModelConfig, arrays: list[np.ndarray], names: dict[str, str], top: dict) -> bytes:
    """An HDF5 file: ``top`` datasets, groups with ``names`` attributes, the layout's arrays as float32."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for path, name in names.items():
            f.require_group(path).attrs["name"] = name
        for path, values in top.items():
            f[path] = values
        for i, path in enumerate(weight_layout(config)):
            group = f.require_group(path)
            group["0"] = np.asarray(arrays[2 * i], np.float32)
            group["1"] = np.asarray(arrays[2 * i + 1], np.float32)
    return buffer.getvalue()


def weights_to_h5(config: ModelConfig, weights: NetworkWeights) -> bytes:
    """The bytes of a ``.weights.h5`` file Keras's ``Autoencoder.load_weights`` reads (``BundleError``
    if the weights do not fit ``config``)."""
    _check_weights_fit(config, weights)
    names = {**_empty_groups(config), **{path: name for path, (name, _, _) in weight_layout(config).items()}}
    return _h5_bytes(config, weights.arrays(), names, {})


def snapshots_to_h5(config: ModelConfig, items: list[tuple[int, NetworkWeights]]) -> bytes:
    """The bytes of ``snapshots.h5``: ``epochs`` and each layout array stacked over the snapshots
    (``BundleError`` if a snapshot does not fit ``config``)."""
    for _, weights in items:
        _check_weights_fit(config, weights)
    epochs, arrays = stacked(items)
    return _h5_bytes(config, arrays, {}, {"epochs": epochs})


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


def _parents(paths: Iterable[str]) -> set[str]:
    """Every group on the way to ``paths``, the paths included."""
    return {"/".join(p.split("/")[:k]) for p in paths for k in range(1, p.count("/") + 2)}


def _read_h5(
    member: str,
    data: bytes,
    groups: set[str],
    expect: Callable[[dict[str, h5py.Dataset]], Expected],
    hint: str,
    damaged: str,
    not_finite: str,
) -> dict[str, np.ndarray]:
    """The arrays ``expect`` names, each of its shape and dtype, all finite; nothing else in the file.

    Links are refused, not followed (a soft or external link could point at another file on this
    computer), and every array's storage is checked before any value is read.

    Args:
        groups: the groups the file may hold.
        expect: given the file's datasets by path, ``{path: (shape, dtype)}`` of those it must hold.
        hint, damaged, not_finite: what to do about a mismatch, an unreadable file, NaN values.
    """
    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            links: list[tuple[bytes, int]] = []  # (path, link type); visiting never follows a link
            f.id.links.visit(lambda path, info: links.append((path, info.type)), info=True)
            datasets: dict[str, h5py.Dataset] = {}
            extra_groups: set[str] = set()
            for name, link_type in links:
                path = name.decode()
                item = f.get(path) if link_type == h5py.h5l.TYPE_HARD else None
                if isinstance(item, h5py.Dataset):
                    _check_storage(member, path, item)
                    datasets[path] = item
                elif not isinstance(item, h5py.Group):
                    raise BundleError(
                        f"{member} has a link or an unexpected object at {path[:80]!r}; a weights file "
                        f"holds only groups and arrays. Re-save the run from Latent Lab."
                    )
                elif path not in groups:
                    extra_groups.add(path)
            expected = expect(datasets)
            extra = sorted((set(datasets) - set(expected)) | extra_groups)
            missing = sorted(set(expected) - set(datasets))
            if extra:
                raise BundleError(
                    f"{member} holds unexpected {', '.join(p[:80] for p in extra[:3])}, which the model "
                    f"does not have. {hint}"
                )
            if missing:
                raise BundleError(
                    f"{member} lacks {len(missing)} array(s) the model needs (first: {missing[0]}). {hint}"
                )
            for path, (shape, dtype) in expected.items():
                ds = datasets[path]
                if ds.shape != shape or ds.dtype != dtype:
                    raise BundleError(
                        f"{member} array {path} has shape {ds.shape} and dtype {ds.dtype}; the model "
                        f"settings imply {np.dtype(dtype).name} {shape}. {hint}"
                    )
            arrays = {path: np.array(datasets[path][()]) for path in expected}
    except BundleError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, OverflowError) as err:
        raise BundleError(f"{member} is not a readable HDF5 file ({one_line(err)}). {damaged}") from err
    for path, array in arrays.items():
        if not np.isfinite(array).all():
            raise BundleError(f"{member} array {path} holds NaN or infinite values. {not_finite}")
    return arrays


def _layout_shapes(config: ModelConfig, *n: int) -> Expected:
    """The layout's kernels and biases, each with leading axes ``n`` (the snapshots' count)."""
    expected: Expected = {}
    for path, (_, kernel, bias) in weight_layout(config).items():
        expected[f"{path}/0"] = ((*n, *kernel), np.float32)
        expected[f"{path}/1"] = ((*n, bias), np.float32)
    return expected


def weights_from_h5(config: ModelConfig, data: bytes) -> NetworkWeights:
    """The weights of a ``.weights.h5`` file: each array where Keras puts it for the architecture
    ``config`` implies, float32, finite, stored in the file; anything else raises ``BundleError``."""
    arrays = _read_h5(
        WEIGHTS,
        data,
        _parents([*weight_layout(config), *_empty_groups(config)]),
        lambda _: _layout_shapes(config),
        "The weights do not match the model settings in config.json (another architecture?); "
        "save the bundle again from the run that made these weights.",
        "Re-save the run from Latent Lab.",
        "This run cannot be explored: retrain (e.g. with a lower learning rate) and save again.",
    )
    return weights_from_arrays(config, list(arrays.values()))


def snapshots_from_h5(config: ModelConfig, data: bytes, last_epoch: int) -> list[tuple[int, NetworkWeights]]:
    """``[(epoch, weights), ...]`` from ``snapshots.h5``, checked as strictly as ``weights_from_h5``.

    ``epochs`` must be int64, strictly ascending, within [1, ``last_epoch``] and at most
    ``MAX_SNAPSHOTS`` long; every layout array float32 with that many snapshots of the layer's shape.
    """
    hint = "Save the run again from Latent Lab (or remove snapshots.h5 from the zip to load it without its timeline)."

    def expect(datasets: dict[str, h5py.Dataset]) -> Expected:
        ds = datasets.get("epochs")
        if ds is None or ds.ndim != 1 or ds.dtype != np.int64 or not 1 <= ds.shape[0] <= MAX_SNAPSHOTS:
            raise BundleError(
                f"snapshots.h5 needs an int64 array 'epochs' of 1 to {MAX_SNAPSHOTS} entries. {hint}"
            )
        return {"epochs": (ds.shape, np.int64), **_layout_shapes(config, ds.shape[0])}

    arrays = _read_h5(SNAPSHOTS, data, _parents(weight_layout(config)), expect, hint, hint, hint)
    epochs = arrays.pop("epochs")
    if epochs[0] < 1 or epochs[-1] > last_epoch or np.any(np.diff(epochs) <= 0):
        raise BundleError(
            f"snapshots.h5 epochs must ascend within 1..{last_epoch} (the run's epochs). "
            f"Received: {epochs[:5].tolist()}… {hint}"
        )
    stack = list(arrays.values())
    return [
        (int(epoch), weights_from_arrays(config, [a[i] for a in stack])) for i, epoch in enumerate(epochs)
    ]
