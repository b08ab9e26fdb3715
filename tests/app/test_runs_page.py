"""AppTest of the Runs page: bundle download, restore (good and bad uploads), CLI command, curves, exports.

Weights come from ``vae.training.models.build_model`` (tests may import TensorFlow; the
page never does, checked in a subprocess).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.presets import generate
from vae.runs.run import Run
from vae.storage import bundle_load
from vae.storage.bundle_format import WEIGHTS
from vae.storage.bundle_load import load_bundle
from vae.storage.bundle_save import decoded_grid_csv, latents_csv, save_bundle
from vae.ui import runs_panel, state

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/runs.py"
HISTORY = [
    {
        "epoch": e,
        "loss": 3.0 / e,
        "recon": 2.0 / e,
        "kl": 1.0 / e,
        "penalty": 0.0,
        "beta": 1.0,
        "seconds": 0.01,
    }
    for e in range(1, 6)
]


@pytest.fixture(scope="module")
def weights():
    from vae.training.models import build_model, get_network_weights

    return get_network_weights(build_model(ModelConfig(encoder_units=(16,), decoder_units=(16,)), seed=0))


@pytest.fixture(scope="module")
def dataset():
    return generate(DataConfig(n_samples=300, seed=1))


def make_run(
    weights, dataset, seed: int = 0, scale: float = 1.0, data_config: DataConfig | None = None
) -> Run:
    model_config = ModelConfig(encoder_units=(16,), decoder_units=(16,))
    history = [{**r, "loss": r["loss"] * scale} for r in HISTORY]
    return Run(
        data_config or dataset.config,
        model_config,
        TrainConfig(seed=seed, epochs=5),
        history=history,
        weights=weights,
        status="finished",
    )


def runs_page(app_test, run=None, dataset=None, past=None):
    at = app_test("app.py")  # through the app: the page links to the others
    if run is not None:
        at.session_state[state.RUN] = run
    if dataset is not None:
        at.session_state[state.DATASET] = dataset
    if past is not None:
        at.session_state[state.RUNS] = past
    return at.switch_page(PAGE).run()


def test_empty_session(app_test):
    at = runs_page(app_test)
    assert not at.exception
    assert any("No trained run yet" in i.value for i in at.info)
    assert len(at.get("download_button")) == 0 and len(at.get("plotly_chart")) == 0


def test_current_run_download_command_and_curves(app_test, weights, dataset):
    past = [make_run(weights, dataset, seed=1, scale=2.0), make_run(weights, dataset, seed=2, scale=1.5)]
    run = make_run(weights, dataset, seed=7)
    at = runs_page(app_test, run, dataset, past)
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download run bundle (.zip)", "Latents CSV", "Decoded grid CSV"]
    assert [m.value for m in at.metric][1:] == ["5", "0.600", "7"]  # the loss as the sidebar writes it
    command = at.code[0].value
    assert (
        command.startswith("python -m vae train --data two_moons --n-samples 300") and "--seed 7" in command
    )
    # The bundle the button serves loads back as this run.
    run2, dataset2 = load_bundle(at.session_state[runs_panel.CACHE_KEY][1])
    assert run2.history == run.history and run2.train_config.seed == 7
    np.testing.assert_array_equal(dataset2.values, dataset.values)
    # Three curves (two past runs and this one), with their settings in the table.
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(spec["data"]) == 3
    assert spec["layout"]["title"]["text"].endswith(f"runs on {dataset.name}")  # which data the losses are on
    assert spec["data"][2]["y"] == pytest.approx([3.0 / e for e in range(1, 6)])
    assert spec["data"][0]["y"][0] == pytest.approx(6.0)
    config = json.loads(at.get("plotly_chart")[0].proto.config)
    assert config["toImageButtonOptions"]["format"] == "png"
    table = at.dataframe[0].value
    assert list(table["seed"]) == [1, 2, 7] and list(table["epochs"]) == [5, 5, 5]


def test_svg_export_format(app_test, weights, dataset):
    at = runs_page(app_test, make_run(weights, dataset), dataset)
    at.segmented_control(key=runs_panel.FORMAT_KEY).set_value("svg").run()
    assert not at.exception
    config = json.loads(at.get("plotly_chart")[0].proto.config)
    assert config["toImageButtonOptions"] == {
        "format": "svg",
        "filename": "latent-lab-loss-curves",
        "scale": 2,
    }


def test_restore_a_bundle(app_test, weights, dataset):
    current = make_run(weights, dataset, seed=3)
    other_data = generate(DataConfig(preset="circles", n_samples=200, seed=5))
    saved = make_run(weights, other_data, seed=11)
    saved.data_config = other_data.config
    payload = save_bundle(saved, other_data)
    at = runs_page(app_test, current, dataset)
    at.file_uploader(key=runs_panel.UPLOAD_KEY).set_value(("my run.zip", payload, "application/zip")).run()
    assert not at.exception
    assert any("Restored" in s.value for s in at.success)
    restored = at.session_state[state.RUN]
    assert restored.train_config.seed == 11 and restored.history == saved.history
    assert at.session_state[state.DATASET].config.preset == "circles"
    assert [r.train_config.seed for r in at.session_state[state.RUNS]] == [3]  # the old run is kept
    assert "--seed 11" in at.code[0].value and "--data circles" in at.code[0].value
    # A rerun does not restore the same file again.
    at.run()
    assert len(at.session_state[state.RUNS]) == 1


def test_a_compare_models_bundle_restores_as_trained_in_compare(app_test, weights, dataset):
    """A model Compare trained is current on Runs; its bundle, downloaded and restored, is still Compare's."""
    model = make_run(weights, dataset, seed=4)
    model.origin = "Compare"  # as Compare's models join the session's runs
    at = runs_page(app_test, model, dataset)
    assert list(at.dataframe[0].value["trained in"]) == ["Compare"]
    payload = at.session_state[runs_panel.CACHE_KEY][1]  # what "Download run bundle" serves
    at = runs_page(app_test, make_run(weights, dataset, seed=3), dataset)  # another session, a Train run
    at.file_uploader(key=runs_panel.UPLOAD_KEY).set_value(("compare.zip", payload, "application/zip")).run()
    assert not at.exception
    restored = at.session_state[state.RUN]
    assert restored.origin == "Compare" and restored.train_config.seed == 4
    table = at.dataframe[0].value
    assert list(zip(table["seed"], table["trained in"], strict=True)) == [(3, "Train"), (4, "Compare")]


def hostile_bundle(how: str, good: bytes) -> bytes:
    """A real bundle made hostile: 20,000 extra members, or weights stored in /proc/self/environ."""
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    if how == "many members":
        members.update({f"{i}": b"" for i in range(20_000)})
    else:
        weights = io.BytesIO(members[WEIGHTS])
        with h5py.File(weights, "a") as f:
            path = "decoder/layers/dense/vars/0"
            shape = f[path].shape
            del f[path]
            f.create_dataset(path, shape, "f4", external=[("/proc/self/environ", 0, h5py.h5f.UNLIMITED)])
        members[WEIGHTS] = weights.getvalue()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "payload, words",
    [
        (b"not a zip at all", "not a zip"),
        (None, "damaged or truncated"),  # a truncated bundle
        (b"PK\x03\x04" + b"\x00" * 40, "damaged or truncated"),
        ("many members", "20,006 members"),
        ("weights read from the server's environment", "external files"),
    ],
)
def test_bad_upload_shows_an_error_and_touches_nothing(app_test, weights, dataset, payload, words):
    current = make_run(weights, dataset, seed=3)
    if payload is None:
        full = save_bundle(current, dataset)
        payload = full[: len(full) // 2]
    elif isinstance(payload, str):
        payload = hostile_bundle(payload, save_bundle(current, dataset))
    at = runs_page(app_test, current, dataset)
    before_run, before_data = at.session_state[state.RUN], at.session_state[state.DATASET]
    at.file_uploader(key=runs_panel.UPLOAD_KEY).set_value(
        ("<b>evil</b>.zip", payload, "application/zip")
    ).run()
    assert not at.exception
    assert len(at.error) == 1 and words in at.error[0].value
    assert "\\<b\\>evil\\</b\\>" in at.error[0].value  # the file name is escaped, never HTML
    assert at.session_state[state.RUN] is before_run and at.session_state[state.DATASET] is before_data
    assert at.session_state[state.RUNS] == [] if state.RUNS in at.session_state else True


def test_newer_bundle_is_refused(app_test, weights, dataset):
    payload = save_bundle(make_run(weights, dataset), dataset)
    with zipfile.ZipFile(io.BytesIO(payload)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(members["config.json"])
    config["format_version"] = 99
    members["config.json"] = json.dumps(config).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    at = runs_page(app_test, make_run(weights, dataset, seed=4), dataset)
    at.file_uploader(key=runs_panel.UPLOAD_KEY).set_value(
        ("new.zip", buffer.getvalue(), "application/zip")
    ).run()
    assert "newer Latent Lab" in at.error[0].value
    assert at.session_state[state.RUN].train_config.seed == 4


def test_run_on_another_dataset_cannot_be_saved(app_test, weights, dataset):
    run = make_run(weights, dataset)
    at = runs_page(app_test, run, generate(DataConfig(preset="ring", n_samples=100)))
    assert not at.exception
    assert any("not the one this run was trained on" in w.value for w in at.warning)
    assert "Download run bundle (.zip)" not in [b.label for b in at.get("download_button")]


def test_exports_are_correct(weights, dataset):
    latents = np.loadtxt(latents_csv(weights, dataset).decode().splitlines(), delimiter=",", skiprows=1)
    assert latents.shape == (300, 4)
    grid = np.loadtxt(decoded_grid_csv(weights, dataset).decode().splitlines(), delimiter=",", skiprows=1)
    assert grid.shape == (21 * 21, 4)
    from vae.core.decode import decode

    expected = dataset.standardizer.inverse_transform(decode(weights, grid[:, :2]))
    np.testing.assert_allclose(grid[:, 2:], expected, rtol=1e-12)


def test_page_never_imports_tensorflow(tmp_path):
    code = (
        "import sys\nfrom streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=60).run()\n"
        f"at.switch_page({PAGE!r}).run()\n"
        "assert not at.exception\n"
        "sys.exit(int(any(m in sys.modules for m in ('tensorflow', 'keras'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_log_scale_toggle(app_test, weights, dataset):
    at = runs_page(app_test, make_run(weights, dataset), dataset)
    at.toggle(key="runs_log_y").set_value(True).run()
    assert not at.exception
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["yaxis"]["type"] == "log"
    negative = make_run(weights, dataset, scale=-1.0)
    assert runs_panel.loss_curves_figure([negative], ["run 1"], log_y=True).layout.yaxis.type != "log"


def test_running_out_of_memory_while_restoring_is_an_error_and_touches_nothing(
    app_test, weights, dataset, monkeypatch
):
    current = make_run(weights, dataset, seed=3)
    payload = save_bundle(current, dataset)

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(bundle_load, "floats", exhausted)
    at = runs_page(app_test, current, dataset)
    at.file_uploader(key=runs_panel.UPLOAD_KEY).set_value(("run.zip", payload, "application/zip")).run()
    assert not at.exception
    assert len(at.error) == 1 and "ran out of memory" in at.error[0].value
    assert at.session_state[state.RUN] is current and at.session_state[state.DATASET] is dataset


# --- the session's runs: one dataset at a time, labels, actions ---------------------------------
BLOBS = DataConfig(preset="blobs", n_samples=300, seed=1, name="blobs")


def choose_run(at, label_part: str):
    """Pick the run whose label contains ``label_part`` in the actions box."""
    box = next(s for s in at.selectbox if s.label == "Run")
    matches = [o for o in box.options if label_part in o]
    assert len(matches) == 1, (label_part, box.options)
    return box.set_value(box.options.index(matches[0])).run()


def curve_names(at) -> list[str]:
    return [trace["name"] for trace in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]


def test_runs_on_other_datasets_get_their_own_chart_labelled_by_what_differs(app_test, weights, dataset):
    past = [
        make_run(weights, dataset, seed=1),
        make_run(weights, dataset, data_config=BLOBS),
        make_run(weights, dataset, seed=2),
    ]
    at = runs_page(app_test, make_run(weights, dataset, seed=7), dataset, past)
    assert not at.exception
    # The active dataset's runs only, each named by what sets it apart (here: the seed).
    assert curve_names(at) == ["run 1 · seed 1", "run 3 · seed 2", "run 4 · seed 7"]
    assert list(at.dataframe[0].value["run"]) == [1, 3, 4]
    picker = next(b for b in at.button_group if b.label == "Dataset")
    assert list(picker.options) == [dataset.name, "blobs"] and picker.value == dataset.name  # newest first
    picker.set_value("blobs").run()
    assert not at.exception
    assert curve_names(at) == ["run 2 · VAE · β 1 · 5 epochs"]
    # The memory bound is stated.
    assert any("at most 96 MB" in c.value and "snapshots first" in c.value for c in at.caption)


def test_explore_it_makes_a_past_run_current_with_its_dataset(app_test, weights, dataset):
    blobs_run = make_run(weights, dataset, seed=4, data_config=BLOBS)
    current = make_run(weights, dataset, seed=7)
    at = runs_page(app_test, current, dataset, [blobs_run])
    next(b for b in at.button_group if b.label == "Dataset").set_value("blobs").run()
    choose_run(at, "run 1")
    at.button(key="runs_explore").click().run()
    assert not at.exception
    assert at.session_state[state.RUN] is blobs_run
    # The Train form holds its settings: Continue and Train again on the Train page train this run.
    assert at.session_state["tr_seed"] == blobs_run.train_config.seed == 4
    assert at.session_state["tr_encoder"] == "16" and at.session_state["tr_epochs"] == 5
    active = at.session_state[state.DATASET]
    assert active.config == BLOBS and np.array_equal(active.values, generate(BLOBS).values)  # rebuilt preset
    assert at.session_state[state.RUNS] == [current]  # the run it replaced is kept
    assert at.session_state[state.PAST_DATASETS][-1] is dataset  # and so is its dataset
    assert at.title[0].value == "Explore the latent plane"


def test_load_its_settings_into_the_train_form(app_test, weights, dataset):
    special = Run(
        dataset.config,
        ModelConfig(encoder_units=(16,), decoder_units=(8, 16), beta=4.0, activation="tanh"),
        TrainConfig(seed=3, epochs=5, learning_rate=3e-3, batch_size=64),
        history=list(HISTORY),
        weights=None,
        status="stopped",
    )
    at = runs_page(app_test, make_run(weights, dataset, seed=7), dataset, [special])
    choose_run(at, "run 1")
    at.button(key="runs_load_settings").click().run()
    assert not at.exception
    values = {
        k: at.session_state[k]
        for k in ("tr_encoder", "tr_decoder", "tr_beta", "tr_activation", "tr_seed", "tr_lr", "tr_batch_size")
    }
    assert values == {
        "tr_encoder": "16",
        "tr_decoder": "8, 16",
        "tr_beta": 4.0,
        "tr_activation": "tanh",
        "tr_seed": 3,
        "tr_lr": 3e-3,
        "tr_batch_size": 64,
    }
    assert any("press Start on the Train page" in s.value for s in at.success)
    # The form's settings are what the Train page trains with next.
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert at.text_input(key="tr_encoder").value == "16" and at.number_input(key="tr_seed").value == 3


def test_delete_a_run_and_the_current_one(app_test, weights, dataset):
    past = [make_run(weights, dataset, seed=1), make_run(weights, dataset, seed=2)]
    current = make_run(weights, dataset, seed=7)
    at = runs_page(app_test, current, dataset, list(past))
    choose_run(at, "seed 1")
    at.button(key="runs_delete").click().run()
    assert not at.exception
    assert at.session_state[state.RUNS] == [past[1]] and at.session_state[state.RUN] is current
    assert curve_names(at) == ["run 1 · seed 2", "run 2 · seed 7"]
    choose_run(at, "seed 7")
    at.button(key="runs_delete").click().run()
    assert at.session_state[state.RUN] is None and at.session_state[state.RUNS] == [past[1]]
    assert not at.exception


@pytest.mark.parametrize("action", ["runs_explore", "runs_continue"])
def test_a_run_whose_uploaded_data_are_gone_says_what_to_do(app_test, weights, dataset, action):
    upload = DataConfig(source="upload", name="mine.csv", columns=("a", "b"), n_samples=300)
    gone = make_run(weights, dataset, data_config=upload)
    current = make_run(weights, dataset, seed=7)
    at = runs_page(app_test, current, dataset, [gone])
    next(b for b in at.button_group if b.label == "Dataset").set_value("mine.csv").run()
    at.button(key=action).click().run()
    assert not at.exception
    assert any("load that file on the Data page again" in e.value for e in at.error)
    assert at.session_state[state.RUN] is current and at.session_state[state.DATASET] is dataset
    assert at.session_state.get(state.JOB) is None  # nothing started


def test_an_earlier_dataset_can_be_used_again(app_test, weights, dataset):
    blobs = generate(BLOBS)
    at = runs_page(app_test, None, dataset)
    at.session_state[state.PAST_DATASETS] = [blobs]
    at.run()
    at.button(key="runs_dataset_back_0").click().run()
    assert not at.exception
    assert at.session_state[state.DATASET] is blobs and at.session_state[state.PAST_DATASETS] == [dataset]


@pytest.mark.slow
def test_continue_it_trains_a_past_run_further_on_its_own_dataset(app_test, weights, dataset):
    from tests.app.test_train_page import stop_job, wait_for

    blobs_run = make_run(weights, dataset, data_config=BLOBS)  # 5 epochs on blobs, fresh weights
    current = make_run(weights, dataset, seed=7)
    at = runs_page(app_test, current, dataset, [blobs_run])
    next(b for b in at.button_group if b.label == "Dataset").set_value("blobs").run()
    choose_run(at, "run 1")
    at.button(key="runs_continue").click().run()
    try:
        assert not at.exception
        assert at.title[0].value == "Train a VAE"
        assert at.session_state[state.RUN] is blobs_run and at.session_state[state.RUNS] == [current]
        active = at.session_state[state.DATASET]
        assert active.config == BLOBS  # its own data, not the active two moons
        assert any("continues on its own dataset, blobs" in i.value for i in at.info)
        # AppTest reruns the page it was last switched to (Runs), and runs a page without app.py's
        # sidebar, whose sync drains the job in the app: follow the page's own switch to Train.
        at.switch_page("pages/train.py")
        wait_for(at, lambda a: not a.session_state[state.RUN].is_active)
        assert blobs_run.status == "finished", blobs_run.message
        # The history goes on: the first 5 epochs kept, then 5 more (its budget again).
        assert [r["epoch"] for r in blobs_run.history] == list(range(1, 11))
        assert blobs_run.history[:5] == HISTORY
        assert blobs_run.weights is not weights and blobs_run.weights.is_finite()
        assert at.session_state[state.PAST_DATASETS][-1] is dataset  # the active one is kept
        assert not at.exception
        assert at.title[0].value == "Train a VAE" and "Finished" in at.get("progress")[0].proto.text
        # The Train page's loss charts draw the one run's ten epochs, the past ones included.
        curves = at.session_state[state.TRAIN_VIEWS].curves
        assert list(curves.epochs) == list(range(1, 11))
        np.testing.assert_allclose(curves.column("loss")[:5], [r["loss"] for r in HISTORY])
    finally:
        stop_job(at)
