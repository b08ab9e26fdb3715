"""Run bundles: round trip, Keras's .weights.h5 layout, and every bad input refused cleanly."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.weights import random_weights
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.core.decode import encode
from vae.data.build import load_csv
from vae.data.presets import generate
from vae.runs.run import Run
from vae.storage import bundle_load
from vae.storage.bundle_format import FORMAT_VERSION, MEMBERS, BundleError
from vae.storage.bundle_load import load_bundle, read_bundle, summarize_bundle
from vae.storage.bundle_save import save_bundle
from vae.storage.bundle_weights import weights_from_h5, weights_to_h5

ROOT = Path(__file__).resolve().parents[2]


HISTORY = [
    {
        "epoch": 1,
        "loss": 2.5,
        "recon": 2.0,
        "kl": 0.5,
        "penalty": 0.0,
        "beta": 1.0,
        "seconds": 0.25,
        "val_loss": 2.6,
    },
    {
        "epoch": 2,
        "loss": 1.0 / 3.0,
        "recon": 0.1,
        "kl": 0.2333,
        "penalty": 0.0,
        "beta": 1.0,
        "seconds": 0.125,
    },
]


def make_run(model_config: ModelConfig | None = None, n: int = 200, seed: int = 0) -> tuple[Run, object]:
    data_config = DataConfig(preset="blobs", n_samples=n, noise=0.5, seed=3, params={"k": 3})
    dataset = generate(data_config)
    model_config = model_config or ModelConfig(encoder_units=(8, 4), decoder_units=(5,))
    train_config = TrainConfig(epochs=2, batch_size=32, learning_rate=3e-3, seed=seed)
    run = Run(
        data_config=dataset.config,
        model_config=model_config,
        train_config=train_config,
        history=[dict(r) for r in HISTORY],
        weights=random_weights(model_config, seed),
        status="finished",
        message="done",
    )
    return run, dataset


@pytest.fixture(scope="module")
def saved() -> tuple[Run, object, bytes]:
    run, dataset = make_run()
    return run, dataset, save_bundle(run, dataset)


def members_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def rezip(members: dict[str, bytes] | list[tuple[str, bytes]]) -> bytes:
    items = members.items() if isinstance(members, dict) else members
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, payload in items:
            zf.writestr(name, payload)
    return buffer.getvalue()


def with_config(data: bytes, edit) -> bytes:
    members = members_of(data)
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    return rezip(members)


def refused(data: bytes, *words: str, **kwargs) -> str:
    with pytest.raises(BundleError) as info:
        load_bundle(data, **kwargs)
    message = str(info.value)
    assert "\n" not in message and len(message) < 400
    for word in words:
        assert word.lower() in message.lower(), message
    return message


# --- round trip --------------------------------------------------------------


def test_round_trip_is_exact(saved):
    run, dataset, data = saved
    run2, dataset2 = load_bundle(data)
    assert run2.model_config == run.model_config
    assert run2.train_config == run.train_config
    assert run2.data_config == run.data_config
    for a, b in zip(run.weights.arrays(), run2.weights.arrays(), strict=True):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    assert run2.weights.activation == run.weights.activation
    assert run2.history == run.history  # floats (1/3) survive the CSV exactly; missing val_loss stays missing
    assert "val_loss" not in run2.history[1]
    assert (run2.status, run2.message) == ("finished", "done")
    np.testing.assert_array_equal(dataset2.values, dataset.values)
    np.testing.assert_array_equal(dataset2.labels, dataset.labels)
    assert dataset2.labels.dtype == dataset.labels.dtype
    assert dataset2.columns == dataset.columns and dataset2.config == dataset.config
    np.testing.assert_array_equal(dataset2.standardizer.offset, dataset.standardizer.offset)
    np.testing.assert_array_equal(dataset2.standardizer.scale, dataset.standardizer.scale)
    np.testing.assert_array_equal(dataset2.standardized(), dataset.standardized())


def test_members_and_config_contents(saved):
    run, dataset, data = saved
    members = members_of(data)
    assert sorted(members) == sorted(MEMBERS)
    config = json.loads(members["config.json"])
    assert config["format_version"] == FORMAT_VERSION
    assert config["model"] == run.model_config.to_dict() and config["train"]["seed"] == 0
    assert set(config["libraries"]) >= {"numpy", "pandas", "streamlit"}
    assert config["app"]["version"] == __import__("vae").__version__
    # The dataset CSV is the Data page's download; load_csv reads it back.
    again = load_csv(members["dataset.csv"], columns=list(dataset.columns))
    np.testing.assert_array_equal(again.values, dataset.values)
    # Latents: the NumPy encoder on the standardized data.
    contents = read_bundle(data)
    z_mean, z_log_var = encode(run.weights, dataset.standardized())
    np.testing.assert_allclose(contents.latents, np.hstack([z_mean, z_log_var]), rtol=0, atol=1e-6)
    assert members["latents.csv"].startswith(b"z_mean_1,z_mean_2,z_log_var_1,z_log_var_2\n")


def test_string_labels_and_running_status_round_trip():
    run, dataset = make_run()
    from dataclasses import replace

    labels = np.array([f"class {i % 3}" for i in range(dataset.n_rows)], dtype=object)
    dataset = replace(dataset, labels=labels, notes=("read 200 rows",))
    run.status = "training"
    run2, dataset2 = load_bundle(save_bundle(run, dataset))
    assert list(dataset2.labels) == list(labels) and dataset2.notes == ("read 200 rows",)
    assert run2.status == "stopped"  # a bundle never resumes training


def test_summary_names_the_run(saved):
    text = summarize_bundle(saved[2])
    assert "VAE" in text and "seed=0" in text and "200 rows x 2 columns" in text
    assert "loss 0.3333" in text and "2 epoch(s)" in text


def test_save_refuses_a_run_without_weights():
    run, dataset = make_run()
    run.weights = None
    with pytest.raises(BundleError, match="train at least one epoch"):
        save_bundle(run, dataset)


def test_module_does_not_import_tensorflow():
    code = "import sys, vae.storage.bundle_load, vae.storage.bundle_save; sys.exit(int(any(m in sys.modules for m in ('tensorflow', 'keras'))))"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


# --- bad zips ----------------------------------------------------------------


def test_not_a_zip():
    refused(b"x,y\n1,2\n", "not a zip")
    refused(b"", "not a zip")


def test_truncated_zip(saved):
    data = saved[2]
    refused(data[: len(data) // 2], "damaged or truncated")
    refused(data[:100], "damaged or truncated")


def test_corrupted_member_fails_its_checksum(saved):
    data = bytearray(saved[2])
    start = data.index(b"model.weights.h5") + 40  # inside the weights member's compressed data
    for i in range(start, start + 64):
        data[i] ^= 0xFF
    refused(bytes(data), "model.weights.h5")


def test_missing_and_unknown_members(saved):
    members = members_of(saved[2])
    for name in ("model.weights.h5", "config.json", "history.csv"):
        refused(rezip({k: v for k, v in members.items() if k != name}), "lacks", name)
    refused(rezip({**members, "evil.py": b"import os", "evil.sh": b"rm"}), "8 members")
    without_history = {k: v for k, v in members.items() if k != "history.csv"}
    refused(rezip({**without_history, "evil.py": b"import os"}), "unknown member", "evil.py")
    refused(rezip({**without_history, "model.keras": b"PK"}), "unknown member", "model.keras")


def test_unsafe_and_duplicate_names(saved):
    members = members_of(saved[2])
    # The whitelist of member names is the path check: a path outside it is an unknown member.
    for unsafe in ("../config.json", "/etc/passwd", "C:config.json", "a/../config.json"):
        renamed = {(unsafe if k == "config.json" else k): v for k, v in members.items()}
        refused(rezip(renamed), "unknown member", unsafe)
    # One more member than the format has is refused by its count, before any name is looked at.
    refused(rezip({**members, "../config.json": b"{}", "../x": b""}), "8 members", "at most 7")
    with pytest.warns(UserWarning):  # zipfile warns about the duplicate it writes
        doubled = rezip([*members.items(), ("config.json", members["config.json"])] * 2)
    refused(doubled, "14 members")
    with pytest.warns(UserWarning):
        swapped = rezip([*((k, v) for k, v in members.items() if k != "latents.csv"), ("config.json", b"{}")])
    refused(swapped, "two members", "config.json")


def test_zip_bomb_declared_size(saved):
    members = members_of(saved[2])
    bomb = rezip({**members, "dataset.csv": b"0" * (8 * 1024 * 1024)})
    assert len(bomb) < 200_000
    refused(bomb, "limit", max_total_bytes=1024 * 1024)
    # JSON members have their own small cap, whatever the total.
    refused(rezip({**members, "config.json": b" " * (2 * 1024 * 1024)}), "config.json", "limit")


def _lie_about_size(data: bytes, name: bytes, size: int) -> bytes:
    """Rewrite a member's uncompressed size in its local header and the central directory."""
    out = bytearray(data)
    local = out.index(b"PK\x03\x04")  # first local header
    while True:
        (name_len,) = struct.unpack("<H", out[local + 26 : local + 28])
        if out[local + 30 : local + 30 + name_len] == name:
            out[local + 22 : local + 26] = struct.pack("<I", size)
            break
        local = out.index(b"PK\x03\x04", local + 4)
    central = out.index(b"PK\x01\x02")
    while True:
        (name_len,) = struct.unpack("<H", out[central + 28 : central + 30])
        if out[central + 46 : central + 46 + name_len] == name:
            out[central + 24 : central + 28] = struct.pack("<I", size)
            break
        central = out.index(b"PK\x01\x02", central + 4)
    return bytes(out)


def test_zip_bomb_lying_about_its_size(saved):
    members = members_of(saved[2])
    big = rezip({**members, "history.csv": b"epoch,loss\n" + b"1,0.5\n" * 2_000_000})
    lying = _lie_about_size(big, b"history.csv", 100)
    # Declared sizes pass the caps; the bounded read stops at the declared size.
    refused(lying, "history.csv", max_total_bytes=4 * 1024 * 1024)


# --- tampered config ---------------------------------------------------------


def test_unknown_keys_are_refused(saved):
    data = saved[2]
    refused(with_config(data, lambda c: c.update(extra=1)), "unknown key", "extra")
    refused(
        with_config(
            data,
            lambda c: c["model"].update(
                layers=[{"class_name": "Lambda", "config": {"function": "os.system"}}]
            ),
        ),
        "no setting named",
        "layers",
    )
    refused(with_config(data, lambda c: c["train"].update(callbacks=["x"])), "callbacks")
    refused(with_config(data, lambda c: c["dataset"].update(pickle="gASV")), "unknown key")


def test_layer_types_and_code_strings_are_refused(saved):
    data = saved[2]
    refused(
        with_config(data, lambda c: c["model"].update(activation="lambda x: __import__('os').system('id')")),
        "activation must be one of",
    )
    refused(with_config(data, lambda c: c["model"].update(kind="Lambda")), "kind must be one of")
    refused(with_config(data, lambda c: c["data"].update(params={"k": {"py/object": "os.system"}})), "params")
    refused(with_config(data, lambda c: c["model"].update(encoder_units="__import__('os')")), "encoder_units")


def test_sizes_that_do_not_match_the_weights(saved):
    data = saved[2]
    refused(
        with_config(data, lambda c: c["model"].update(encoder_units=[16, 4])), "shape", "another architecture"
    )
    refused(with_config(data, lambda c: c["model"].update(decoder_units=[5, 5])), "lacks", "weights")
    refused(with_config(data, lambda c: c["model"].update(encoder_units=[8])), "does not have")
    refused(with_config(data, lambda c: c["model"].update(latent_dim=3)), "shape")


def test_weights_from_another_architecture(saved):
    other_run, dataset = make_run(ModelConfig(encoder_units=(64, 32), decoder_units=(32, 64)))
    other = members_of(save_bundle(other_run, dataset))
    members = members_of(saved[2])
    members["model.weights.h5"] = other["model.weights.h5"]
    refused(rezip(members), "another architecture")


def _edit_h5(data: bytes, edit) -> bytes:
    members = members_of(data)
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "a") as f:
        edit(f)
    members["model.weights.h5"] = buffer.getvalue()
    return rezip(members)


def test_nan_and_extra_weights(saved):
    data = saved[2]

    def nan(f):
        f["decoder/layers/dense/vars/0"][0, 0] = np.nan

    refused(_edit_h5(data, nan), "NaN", "decoder/layers/dense/vars/0")
    refused(
        _edit_h5(data, lambda f: f.create_dataset("encoder/layers/dense/vars/2", data=[1.0])), "does not have"
    )
    refused(_edit_h5(data, lambda f: f.create_group("optimizer/vars")), "does not have")

    def float64(f):
        del f["decoder/layers/dense_1/vars/1"]
        f["decoder/layers/dense_1/vars/1"] = np.zeros(2, np.float64)

    refused(_edit_h5(data, float64), "float32")
    refused(
        _edit_h5(
            data,
            lambda f: f.__setitem__("encoder/layers/dense/vars/x", h5py.ExternalLink("/etc/passwd", "/")),
        ),
        "link",
    )
    members = members_of(data)
    members["model.weights.h5"] = b"not hdf5 at all"
    refused(rezip(members), "not a readable HDF5")


def test_newer_format_version(saved):
    message = refused(
        with_config(saved[2], lambda c: c.update(format_version=FORMAT_VERSION + 1)),
        "newer Latent Lab",
        "update",
    )
    assert f"format version {FORMAT_VERSION + 1}" in message
    refused(with_config(saved[2], lambda c: c.update(format_version="1")), "format_version")
    refused(with_config(saved[2], lambda c: c.update(format="keras")), "not a Latent Lab run")


def test_origin_round_trips_and_older_bundles_without_it_load(saved):
    run, dataset, data = saved
    compare_model = dataclasses.replace(run, origin="Compare")
    assert load_bundle(save_bundle(compare_model, dataset))[0].origin == "Compare"
    assert "trained in Compare" in summarize_bundle(save_bundle(compare_model, dataset))  # python -m vae info
    assert load_bundle(data)[0].origin == ""

    # A bundle of format 1 (saved before origin was kept) has no run.origin: a Train page run.
    def format_1(config):
        config["format_version"] = 1
        del config["run"]["origin"]

    assert load_bundle(with_config(data, format_1))[0].origin == ""
    refused(with_config(data, lambda c: c["run"].update(origin="<a href='x'>Train</a>")), "run.origin")
    refused(with_config(data, lambda c: c["run"].update(origin=["Compare"])), "run.origin")


def test_damaged_csvs_and_json(saved):
    members = members_of(saved[2])
    refused(rezip({**members, "config.json": b"{not json"}), "config.json is not valid JSON")
    refused(rezip({**members, "config.json": b"[" * 100_000}), "not valid JSON")
    refused(
        rezip({**members, "dataset.csv": members["dataset.csv"].replace(b"\n", b"\nnan,nan,0\n", 1)}), "rows"
    )
    lines = members["dataset.csv"].split(b"\n")
    lines[1] = b"abc,1.0,0"
    refused(rezip({**members, "dataset.csv": b"\n".join(lines)}), "not a number")
    lines[1] = b"inf,1.0,0"
    refused(rezip({**members, "dataset.csv": b"\n".join(lines)}), "NaN or infinite")
    scaler = json.loads(members["standardizer.json"])
    scaler["scale"] = [0.0, 1.0]
    refused(rezip({**members, "standardizer.json": json.dumps(scaler).encode()}), "positive scales")
    refused(rezip({**members, "history.csv": b"epoch,Loss\n1,x\n"}), "history.csv")
    refused(rezip({**members, "latents.csv": b"a,b\n1,2\n"}), "latents.csv")


# --- Keras reads what we write (TensorFlow) ----------------------------------


def _h5_tree(path_or_bytes) -> dict[str, tuple]:
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    tree: dict[str, tuple] = {}
    with h5py.File(source, "r") as f:

        def visit(name, obj):
            attrs = tuple(sorted((k, str(v)) for k, v in obj.attrs.items()))
            shape = (tuple(obj.shape), str(obj.dtype)) if isinstance(obj, h5py.Dataset) else None
            tree[name] = (attrs, shape)

        f.visititems(visit)
        tree["/"] = (tuple(sorted(f.attrs.items())), None)
    return tree


@pytest.mark.slow
@pytest.mark.parametrize(
    "config",
    [
        ModelConfig(encoder_units=(8, 4), decoder_units=(5,)),
        ModelConfig(),
        ModelConfig(
            input_dim=3,
            latent_dim=1,
            encoder_units=(7, 6, 5),
            decoder_units=(4, 3, 2, 9),
            activation="leaky_relu",
            kind="sparse",
        ),
    ],
    ids=["small", "default", "deep-sparse"],
)
def test_keras_layout_and_load_weights(config, tmp_path):
    from vae.training.models import build_model, get_network_weights

    weights = random_weights(config, seed=5)
    ours = weights_to_h5(config, weights)
    # The same groups, attributes, shapes and dtypes as Keras's own save_weights.
    reference = build_model(config, seed=1)
    keras_path = tmp_path / "keras.weights.h5"
    reference.save_weights(keras_path)
    assert _h5_tree(ours) == _h5_tree(keras_path)
    # Keras's load_weights reads our file into a freshly built model, exactly.
    path = tmp_path / "model.weights.h5"
    path.write_bytes(ours)
    model = build_model(config, seed=2)
    model.load_weights(path)
    for a, b in zip(get_network_weights(model).arrays(), weights.arrays(), strict=True):
        np.testing.assert_array_equal(a, b)
    # And we read Keras's file back as the model's weights.
    read = weights_from_h5(config, keras_path.read_bytes())
    for a, b in zip(read.arrays(), get_network_weights(reference).arrays(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_trained_run_round_trips_through_keras(tmp_path):
    from vae.training.fit import fit
    from vae.training.models import build_model, get_network_weights

    dataset = generate(DataConfig(n_samples=128, seed=1))
    model_config = ModelConfig(encoder_units=(16,), decoder_units=(16,))
    train_config = TrainConfig(epochs=2, batch_size=32, jit_compile=False)
    result = fit(dataset.standardized(), model_config, train_config)
    run = Run(
        dataset.config,
        model_config,
        train_config,
        history=result.history,
        weights=result.weights,
        status="finished",
    )
    run2, _ = load_bundle(save_bundle(run, dataset))
    assert [r["loss"] for r in run2.history] == [r["loss"] for r in result.history]
    assert all(math.isfinite(r["loss"]) for r in run2.history)
    path = tmp_path / "model.weights.h5"
    path.write_bytes(members_of(save_bundle(run2, dataset))["model.weights.h5"])
    model = build_model(run2.model_config, seed=9)
    model.load_weights(path)
    for a, b in zip(get_network_weights(model).arrays(), result.weights.arrays(), strict=True):
        np.testing.assert_array_equal(a, b)


# --- memory ------------------------------------------------------------------


def _peak_bytes(function) -> tuple[object, int]:
    """``function()``'s result and the peak of Python and NumPy allocations while it ran."""
    tracemalloc.start()
    try:
        result = function()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_long_cells_cost_their_length_not_rows_times_their_length():
    """100,000 rows, one 1,000-character latents cell (a valid number) and one 1,000-character
    label: NumPy's fixed-width strings made each rows x columns x 1,000 x 4 bytes (1.6 GB)."""
    run, dataset = make_run(n=100_000)
    labels = np.array(["a", "b", "c"], dtype=object)[dataset.labels % 3]
    labels[3] = "L" * 1000
    dataset = dataclasses.replace(dataset, labels=labels)
    members = members_of(save_bundle(run, dataset))
    lines = members["latents.csv"].decode().split("\n")
    cells = lines[1].split(",")
    j = next(j for j, cell in enumerate(cells) if "e" not in cell and "." in cell)
    cells[j] += "0" * (1000 - len(cells[j]))  # the same number, written with 1,000 characters
    lines[1] = ",".join(cells)
    members["latents.csv"] = "\n".join(lines).encode()
    data = rezip(members)
    expanded = sum(len(payload) for payload in members.values())
    summary, peak = _peak_bytes(lambda: summarize_bundle(data))
    # Measured: 2.2 x the expanded members (the text, its parse and the float arrays).
    assert peak < 4 * expanded, (peak, expanded)
    assert "labels: 4 distinct" in summary
    contents = read_bundle(data)
    z_mean, z_log_var = encode(run.weights, dataset.standardized())
    np.testing.assert_array_equal(contents.latents, np.hstack([z_mean, z_log_var]).astype(np.float64))
    np.testing.assert_array_equal(contents.dataset.values, dataset.values)
    assert list(contents.dataset.labels) == list(labels)


@pytest.mark.parametrize("where", ["floats", "weights_from_h5"])
def test_running_out_of_memory_is_a_bundle_error(saved, monkeypatch, where):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(bundle_load, where, exhausted)
    refused(saved[2], "ran out of memory")
