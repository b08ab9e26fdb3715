"""Hostile bundles (property-based): any mutation of a real bundle raises BundleError, nothing else.

A real bundle is saved once per module from a small Keras model
(``build_model`` + ``get_network_weights``), then mutated: bytes flipped,
truncated, members dropped / duplicated / renamed, config values swapped or
replaced, member payloads corrupted, declared sizes inflated. ``load_bundle``
must either raise ``BundleError`` or return a run whose weights and data are
finite and fit its settings (some mutations, e.g. a digit of a loss in
history.csv, leave a valid bundle).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import struct
import zipfile

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.memory import peak_bytes
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.core.decode import decode, encode
from vae.data.presets import generate
from vae.runs.run import Run
from vae.storage import bundle_format, bundle_weights
from vae.storage.bundle_format import BundleError
from vae.storage.bundle_load import load_bundle
from vae.storage.bundle_save import save_bundle

# pandas warns about mutated CSV rows wider than their header (the bundle reader drops the extra
# field, like vae.data; see test_hostile_csv.py); not the point here.
pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.ParserWarning")

SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
MODEL = ModelConfig(encoder_units=(8,), decoder_units=(8,))


def _saved() -> tuple[bytes, dict[str, bytes], Run]:
    from vae.training.models import build_model, get_network_weights  # TensorFlow: once per module

    dataset = generate(DataConfig(preset="blobs", n_samples=40, noise=0.5, seed=1, params={"k": 3}))
    weights = get_network_weights(build_model(MODEL, seed=0))
    history = [
        {"epoch": 1, "loss": 2.5, "recon": 2.0, "kl": 0.5, "penalty": 0.0, "beta": 1.0, "seconds": 0.1},
        {"epoch": 2, "loss": 1.5, "recon": 1.2, "kl": 0.3, "penalty": 0.0, "beta": 1.0, "seconds": 0.1},
    ]
    run = Run(
        data_config=dataset.config,
        model_config=MODEL,
        train_config=TrainConfig(epochs=2, batch_size=8),
        history=history,
        weights=weights,
        status="finished",
        message="done",
    )
    data = save_bundle(run, dataset)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    return data, members, run


ORIGINAL, MEMBERS, RUN = _saved()
CONFIG = json.loads(MEMBERS[bundle_format.CONFIG])
NAMES = list(MEMBERS)


def rezip(items: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, payload in items:
            zf.writestr(zipfile.ZipInfo(name), payload, compress_type=compression)
    return buffer.getvalue()


def check(data: bytes) -> None:
    """load_bundle raises BundleError, or returns something usable."""
    try:
        run, dataset = load_bundle(data)
    except BundleError as err:
        assert str(err).strip()
        return
    assert run.weights is not None and run.weights.is_finite()
    assert run.model_config.input_dim == dataset.n_dims
    assert np.isfinite(dataset.values).all() and dataset.n_rows >= 2
    assert np.isfinite(dataset.standardized()).all()
    z_mean, _ = encode(run.weights, dataset.standardized())
    assert z_mean.shape == (dataset.n_rows, run.model_config.latent_dim)
    assert decode(run.weights, z_mean).shape == (dataset.n_rows, dataset.n_dims)
    assert not run.is_active  # a loaded bundle never trains


def test_the_original_loads_exactly():
    run, _ = load_bundle(ORIGINAL)
    assert run.model_config == MODEL and run.history == RUN.history
    for a, b in zip(run.weights.arrays(), RUN.weights.arrays(), strict=True):
        np.testing.assert_array_equal(a, b)
    again, _ = load_bundle(rezip(list(MEMBERS.items())))  # the test's own rezip makes valid bundles
    assert again.history == RUN.history


# -- raw bytes -------------------------------------------------------------------------------------


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, len(ORIGINAL) - 1), st.integers(1, 255)), min_size=1, max_size=8))
def test_flipped_bytes(flips):
    data = bytearray(ORIGINAL)
    for offset, mask in flips:
        data[offset] ^= mask
    check(bytes(data))


@SETTINGS
@given(st.integers(0, len(ORIGINAL) - 1))
@example(0)
@example(4)
@example(len(ORIGINAL) - 22)  # just before the end-of-central-directory record
def test_truncated(cut):
    check(ORIGINAL[:cut])


@SETTINGS
@given(st.binary(max_size=64), st.integers(0, len(ORIGINAL)))
def test_inserted_garbage(garbage, at):
    check(ORIGINAL[:at] + garbage + ORIGINAL[at:])


# -- members ---------------------------------------------------------------------------------------

HOSTILE_NAMES = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(
        [
            "../config.json",
            "/etc/passwd",
            "C:\\x",
            "a/../../b",
            "config.json/",
            "CONFIG.JSON",
            "model.weights.h5 ",
            "dir/",
            "",
            "\x00",
            "config.json\x00.txt",
            "..",
            "./config.json",
        ]
    ),
    st.text(max_size=20),
)


@SETTINGS
@given(st.data())
def test_dropped_duplicated_renamed_and_reordered_members(data):
    items = list(MEMBERS.items())
    for _ in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["drop", "duplicate", "rename", "shuffle", "swap_payloads"]))
        if not items:
            break
        i = data.draw(st.integers(0, len(items) - 1))
        if action == "drop":
            items.pop(i)
        elif action == "duplicate":
            items.insert(data.draw(st.integers(0, len(items))), items[i])
        elif action == "rename":
            items[i] = (data.draw(HOSTILE_NAMES), items[i][1])
        elif action == "shuffle":
            items = data.draw(st.permutations(items))
        else:
            j = data.draw(st.integers(0, len(items) - 1))
            items[i], items[j] = (items[i][0], items[j][1]), (items[j][0], items[i][1])
    try:
        archive = rezip(items)
    except (ValueError, UnicodeEncodeError):
        return  # zipfile refuses to write this name; nothing to load
    check(archive)


@SETTINGS
@given(st.sampled_from(NAMES), st.data())
def test_corrupted_member_payloads(name, data):
    """The zip is intact (CRCs match) but one member's content is damaged."""
    payload = bytearray(MEMBERS[name])
    how = data.draw(st.sampled_from(["flip", "truncate", "append", "replace"]))
    if how == "flip" and payload:
        for _ in range(data.draw(st.integers(1, 6))):
            payload[data.draw(st.integers(0, len(payload) - 1))] ^= data.draw(st.integers(1, 255))
    elif how == "truncate":
        payload = payload[: data.draw(st.integers(0, len(payload)))]
    elif how == "append":
        payload += data.draw(st.binary(max_size=64))
    else:
        payload = bytearray(data.draw(st.binary(max_size=256)))
    check(rezip([(n, bytes(payload) if n == name else p) for n, p in MEMBERS.items()]))


# -- config.json values ----------------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64)
    | st.floats(allow_nan=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


def _paths(value, prefix=()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


CONFIG_PATHS = [p for p in _paths(CONFIG) if p]


def _get(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def _set(tree, path, value):
    _get(tree, path[:-1])[path[-1]] = value


def _with_config(config_bytes: bytes) -> bytes:
    return rezip([(n, config_bytes if n == bundle_format.CONFIG else p) for n, p in MEMBERS.items()])


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(CONFIG_PATHS), JSON), min_size=1, max_size=3))
def test_config_values_replaced(changes):
    config = json.loads(MEMBERS[bundle_format.CONFIG])
    for path, value in changes:
        try:
            _set(config, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the parent
    check(_with_config(json.dumps(config).encode()))


@SETTINGS
@given(st.sampled_from(CONFIG_PATHS), st.sampled_from(CONFIG_PATHS))
def test_config_values_swapped(a, b):
    config = json.loads(MEMBERS[bundle_format.CONFIG])
    try:
        va, vb = _get(config, a), _get(config, b)
        _set(config, a, json.loads(json.dumps(vb)))
        _set(config, b, json.loads(json.dumps(va)))
    except (KeyError, IndexError, TypeError):
        return  # one path is inside the other
    check(_with_config(json.dumps(config).encode()))


@SETTINGS
@given(
    st.sampled_from(CONFIG_PATHS),
    st.sampled_from(
        [
            "NaN",
            "Infinity",
            "-Infinity",
            "1e400",
            "-0",
            "1.0",
            "true",
            "null",
            '"2"',
            "[]",
            "{}",
            '"\\ud800"',
            "9" * 5000,
            "[" * 2000 + "]" * 2000,
        ]
    ),
)
def test_config_values_outside_strict_json(path, literal):
    """Non-standard JSON literals, huge numbers, lone surrogates and deep nesting."""
    config = json.loads(MEMBERS[bundle_format.CONFIG])
    marker = "\x01MARK\x01"
    _set(config, path, marker)
    text = json.dumps(config).replace(json.dumps(marker), literal)
    check(_with_config(text.encode()))


@SETTINGS
@given(st.sampled_from(CONFIG_PATHS))
def test_config_keys_dropped(path):
    config = json.loads(MEMBERS[bundle_format.CONFIG])
    parent = _get(config, path[:-1])
    if isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent.pop(path[-1])
    check(_with_config(json.dumps(config).encode()))


# -- declared sizes --------------------------------------------------------------------------------


def _headers(data: bytes, signature: bytes) -> list[int]:
    out, at = [], data.find(signature)
    while at >= 0:
        out.append(at)
        at = data.find(signature, at + 1)
    return out


CENTRAL = _headers(ORIGINAL, b"PK\x01\x02")  # central directory entries: sizes at +20 and +24
LOCAL = _headers(ORIGINAL, b"PK\x03\x04")  # local headers: sizes at +18 and +22


@SETTINGS
@given(
    st.sampled_from(["central", "local"]),
    st.integers(0, len(NAMES) - 1),
    st.sampled_from(["compressed", "uncompressed"]),
    st.one_of(
        st.sampled_from([0, 1, 2**31 - 1, 2**31, 2**32 - 1, 400 * 2**20 + 1]), st.integers(0, 2**32 - 1)
    ),
)
def test_inflated_declared_sizes(where, index, field, size):
    offsets = CENTRAL if where == "central" else LOCAL
    base = 20 if where == "central" else 18
    at = offsets[index] + base + (4 if field == "uncompressed" else 0)
    data = bytearray(ORIGINAL)
    data[at : at + 4] = struct.pack("<I", size)
    check(bytes(data))


def test_a_small_cap_refuses_a_bundle_that_expands_past_it():
    """A member that expands past max_total_bytes is refused while reading, not after."""
    bomb = rezip(
        [
            *((n, p) for n, p in MEMBERS.items() if n != bundle_format.HISTORY),
            (bundle_format.HISTORY, b"epoch\n" + b"1\n" * 600_000),
        ]
    )
    assert len(bomb) < 200_000
    with pytest.raises(BundleError, match="limit"):
        load_bundle(bomb, max_total_bytes=len(bomb) + 500_000)


@pytest.mark.parametrize("compression", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA, zipfile.ZIP_STORED])
def test_other_compressions(compression):
    data = rezip(list(MEMBERS.items()), compression)
    if compression == zipfile.ZIP_STORED:
        check(data)
        load_bundle(data)  # stored members are fine
    else:
        with pytest.raises(BundleError, match="compression"):
            load_bundle(data)


@pytest.mark.parametrize("where", [("data", "columns"), ("dataset", "config", "columns")], ids="/".join)
@pytest.mark.parametrize("value", [3, 1.5, None, True], ids=repr)
def test_columns_that_are_not_a_list(where, value):
    config = json.loads(MEMBERS[bundle_format.CONFIG])
    _set(config, where, value)
    with pytest.raises(BundleError):
        load_bundle(_with_config(json.dumps(config).encode()))


def test_h5_overflow_is_a_bundle_error():
    weights = bytearray(MEMBERS[bundle_format.WEIGHTS])
    weights[49] ^= 1
    with pytest.raises(BundleError):
        bundle_weights.weights_from_h5(MODEL, bytes(weights))


# -- member counts ---------------------------------------------------------------------------------


@contextlib.contextmanager
def counted_zip_entries():
    """Count the ZipInfo objects zipfile builds: one per central-directory entry it parses."""
    built = [0]
    original = zipfile.ZipInfo.__init__

    def init(self, *args, **kwargs):
        built[0] += 1
        original(self, *args, **kwargs)

    zipfile.ZipInfo.__init__ = init
    try:
        yield built
    finally:
        zipfile.ZipInfo.__init__ = original


def _many_members(n: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for name, payload in MEMBERS.items():
            zf.writestr(name, payload)
        for i in range(n - len(MEMBERS)):
            zf.writestr(f"{i}", b"")
    return buffer.getvalue()


def _claim_count(data: bytes, count: int) -> bytes:
    """Rewrite the member counts of the end-of-central-directory record (offsets +8 and +10)."""
    at = data.rfind(b"PK\x05\x06")
    return data[: at + 8] + struct.pack("<HH", count, count) + data[at + 12 :]


FIFTY_THOUSAND = _many_members(50_000)


def test_fifty_thousand_members_are_refused_before_any_is_parsed():
    with counted_zip_entries() as built, pytest.raises(BundleError, match="50,000 members"):
        load_bundle(FIFTY_THOUSAND)
    assert built[0] == 0


def test_a_directory_that_lies_about_its_count_is_refused_by_its_size():
    lying = _claim_count(FIFTY_THOUSAND, len(MEMBERS))
    with counted_zip_entries() as built, pytest.raises(BundleError, match="directory"):
        load_bundle(lying)
    assert built[0] == 0


@SETTINGS
@given(st.integers(len(bundle_format.ALLOWED_MEMBERS) + 1, 400), st.booleans())
def test_member_counts(n, lie):
    """More members than the format has: refused, and zipfile parses a bounded number of entries.

    A directory that lies about its count and is small enough to parse is refused by the whitelist
    (one of its names is not a bundle member).
    """
    data = _many_members(n)
    if lie:
        data = _claim_count(data, len(bundle_format.ALLOWED_MEMBERS))
    with (
        counted_zip_entries() as built,
        pytest.raises(BundleError, match=r"members|directory|unknown member"),
    ):
        load_bundle(data)
    # A central-directory entry takes at least 46 bytes; the directory's size cap bounds the parse.
    assert built[0] <= bundle_format.MAX_DIRECTORY_BYTES // 46


# -- where the weights' bytes are stored -----------------------------------------------------------

WEIGHT_PATHS = list(bundle_weights.weight_layout(MODEL))
ACCEPTED_STORAGE = ["contiguous", "chunked", "compact"]
REFUSED_STORAGE = {
    "external file": "external",
    "external environ": "external",
    "external fifo": "external",
    "virtual other file": "virtual",
    "virtual same file": "virtual",
    "gzip": "filter",
    "shuffle": "filter",
    "fletcher32": "filter",
}


def restored(path: str, how: str, folder, h5: bytes = MEMBERS[bundle_format.WEIGHTS]) -> bytes:
    """An HDF5 file (the bundle's weights) with array ``path`` stored as ``how``: same shape, dtype, values."""
    buffer = io.BytesIO(h5)
    with h5py.File(buffer, "a") as f:
        values = f[path][()]
        del f[path]
        kwargs: dict = {}
        if how == "chunked":
            kwargs["chunks"] = tuple(max(1, n // 2) for n in values.shape)
        elif how == "compact":
            kwargs["dcpl"] = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            kwargs["dcpl"].set_layout(h5py.h5d.COMPACT)
        elif how in ("gzip", "shuffle", "fletcher32"):
            kwargs = {"compression": "gzip"} if how == "gzip" else {how: True}
        if how.startswith("external"):
            target = {
                "external file": folder / "weights.bin",
                "external environ": "/proc/self/environ",
                "external fifo": folder / "fifo",
            }[how]
            if how == "external file":
                target.write_bytes(values.tobytes())
            elif how == "external fifo" and not target.exists():
                os.mkfifo(target)
            f.create_dataset(
                path, values.shape, values.dtype, external=[(str(target), 0, h5py.h5f.UNLIMITED)]
            )
        elif how.startswith("virtual"):
            if how == "virtual other file":
                source_file = folder / "source.h5"
                with h5py.File(source_file, "w") as source:
                    source["values"] = values
                source = h5py.VirtualSource(str(source_file), "values", values.shape)
            else:
                f["copy_of_values"] = values  # an extra array (also refused); the layout is checked first
                source = h5py.VirtualSource(".", "copy_of_values", values.shape)
            layout = h5py.VirtualLayout(values.shape, values.dtype)
            layout[...] = source
            f.create_virtual_dataset(path, layout)
        else:
            f.create_dataset(path, data=values, **kwargs)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def h5_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("h5")


@SETTINGS
@given(st.sampled_from(WEIGHT_PATHS), st.sampled_from(["0", "1"]), st.sampled_from(ACCEPTED_STORAGE))
def test_storage_inside_the_file_is_read(h5_folder, group, index, how):
    weights = bundle_weights.weights_from_h5(MODEL, restored(f"{group}/{index}", how, h5_folder))
    for a, b in zip(weights.arrays(), RUN.weights.arrays(), strict=True):
        np.testing.assert_array_equal(a, b)


@SETTINGS
@given(st.sampled_from(WEIGHT_PATHS), st.sampled_from(["0", "1"]), st.sampled_from(sorted(REFUSED_STORAGE)))
def test_storage_outside_the_file_is_refused_before_reading(h5_folder, group, index, how):
    """External storage (a file, the server's environment, a FIFO that would hang), virtual, filtered."""
    path = f"{group}/{index}"
    weights = restored(path, how, h5_folder)
    with pytest.raises(BundleError, match=REFUSED_STORAGE[how]) as info:
        bundle_weights.weights_from_h5(MODEL, weights)
    assert path in str(info.value)
    check(rezip([(n, weights if n == bundle_format.WEIGHTS else p) for n, p in MEMBERS.items()]))


SNAPSHOTS_H5 = bundle_weights.snapshots_to_h5(MODEL, [(1, RUN.weights), (2, RUN.weights)])


@SETTINGS
@given(
    st.sampled_from([*(f"{group}/{i}" for group in WEIGHT_PATHS for i in "01"), "epochs"]),
    st.sampled_from([*ACCEPTED_STORAGE, *sorted(REFUSED_STORAGE)]),
)
def test_snapshot_storage_is_checked_like_the_weights(h5_folder, path, how):
    snapshots = restored(path, how, h5_folder, SNAPSHOTS_H5)
    if how in ACCEPTED_STORAGE:
        items = bundle_weights.snapshots_from_h5(MODEL, snapshots, last_epoch=2)
        assert [epoch for epoch, _ in items] == [1, 2]
        for a, b in zip(items[1][1].arrays(), RUN.weights.arrays(), strict=True):
            np.testing.assert_array_equal(a, b)
        return
    with pytest.raises(BundleError, match=REFUSED_STORAGE[how]) as info:
        bundle_weights.snapshots_from_h5(MODEL, snapshots, last_epoch=2)
    assert f"snapshots.h5 array {path}" in str(info.value)


# -- long cells ------------------------------------------------------------------------------------

CSV_MEMBERS = [bundle_format.DATASET, bundle_format.HISTORY, bundle_format.LATENTS]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(CSV_MEMBERS),
    st.integers(1000, 50_000),
    st.sampled_from(["pad", "digits", "text"]),
    st.data(),
)
def test_one_long_cell_costs_its_length(name, length, how, data):
    """A cell made long: a number padded with zeros (same value), a number of many digits, or text.
    Fixed-width strings cost rows x columns x length x 4 bytes; memory must follow the bundle's size."""
    lines = MEMBERS[name].decode().split("\n")
    row = data.draw(st.integers(1, len([line for line in lines if line]) - 1))
    cells = lines[row].split(",")
    column = data.draw(st.integers(0, len(cells) - 1))
    cell = cells[column]
    if how == "pad" and "." in cell and "e" not in cell:
        cells[column] = cell + "0" * length
    elif how == "digits":
        cells[column] = "1" * length
    else:
        cells[column] = "x" * length
    lines[row] = ",".join(cells)
    payload = "\n".join(lines).encode()
    archive = rezip([(n, payload if n == name else p) for n, p in MEMBERS.items()])
    expanded = sum(len(p) for p in MEMBERS.values()) + length
    peak = peak_bytes(lambda: check(archive))
    assert peak < 40 * expanded + 2**20, (peak, expanded)
