"""AppTest: the Train form has a field for every setting, and a bundle or a link fills every one.

"Train again" after restoring a run must train that run's settings: these tests set and read
the widgets as a user does and compare the form's settings with the run's, field by field.
"""

from __future__ import annotations

from typing import Any

from tests.unit.test_settings import SETTINGS, other_value
from tests.weights import random_weights
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.presets import generate
from vae.runs.run import Run
from vae.storage.bundle_save import save_bundle
from vae.ui import runs_panel, settings_form, state, train_form

TRAIN, RUNS = "pages/train.py", "pages/runs.py"
GETTERS = {
    "text": "text_input",
    "number": "number_input",
    "select": "selectbox",
    "select_slider": "select_slider",
    "slider": "slider",
    "toggle": "toggle",
}


def widget(at, s):
    return getattr(at, GETTERS[s.widget])(key=train_form.key(s))


def shown(at) -> dict[str, Any]:
    """Every setting's widget value on the Train page, by widget key."""
    return {train_form.key(s): widget(at, s).value for s in SETTINGS}


def form_settings(at, input_dim: int = 2):
    result = train_form.settings_from(shown(at), input_dim)
    assert result.error is None, result.error
    return result.model_config, result.train_config


def open_train(app_test, dataset=None):
    at = app_test("app.py", default_timeout=60)
    at.session_state[state.DATASET] = dataset or generate(DataConfig(n_samples=256))
    at.run()
    return at.switch_page(TRAIN).run()


def test_every_setting_has_a_field_and_the_form_trains_what_it_shows(app_test):
    at = open_train(app_test)
    assert not at.exception
    expanders = [e for e in at.expander if e.label == "Advanced"]
    assert len(expanders) == 1
    advanced = {s.name for s in SETTINGS if s.section == "Advanced"}
    assert {"latent_dim", "decoder_std", "clip_norm", "kind"} <= advanced
    by_field = {s.field: s for s in SETTINGS}
    for s in SETTINGS:  # one change a rerun, as a user makes them; a greyed-out field needs its condition
        if widget(at, s).disabled:
            widget(at, by_field[s.when[0]]).set_value(s.when[1]).run()
        widget(at, s).set_value(settings_form.to_widget(s, other_value(s))[0]).run()
    for field in {s.when[0] for s in SETTINGS if s.when}:
        widget(at, by_field[field]).set_value(other_value(by_field[field])).run()
    assert not at.exception
    model, train = form_settings(at)
    for s in SETTINGS:
        assert getattr(model if s.owner is ModelConfig else train, s.field) == other_value(s), s.name


def restored_run() -> tuple[Run, object]:
    dataset = generate(DataConfig(preset="circles", n_samples=300, seed=2))
    model = ModelConfig(
        encoder_units=(32, 16), decoder_units=(16, 32), beta=4.0, latent_dim=3, decoder_std=0.3
    )
    run = Run(
        dataset.config,
        model,
        TrainConfig(epochs=1500, seed=7, clip_norm=2.5, jit_compile=False, learning_rate=3e-3),
        history=[
            {"epoch": e, "loss": 3.0 / e, "recon": 2.0 / e, "kl": 1.0 / e, "beta": 4.0, "seconds": 0.01}
            for e in range(1, 4)
        ],
        weights=random_weights(model),
        status="finished",
    )
    return run, dataset


def test_restoring_a_bundle_sets_every_field_of_the_train_form(app_test):
    run, dataset = restored_run()
    payload = save_bundle(run, dataset)
    at = open_train(app_test)  # the form at its defaults, sized to another dataset
    assert at.number_input(key="tr_epochs").value != 1500
    at.switch_page(RUNS).run()
    at.file_uploader(key=runs_panel.UPLOAD_KEY).set_value(("run.zip", payload, "application/zip")).run()
    assert not at.exception and any("Train form holds its settings" in s.value for s in at.success)
    at.switch_page(TRAIN).run()
    assert not at.exception
    assert at.number_input(key="tr_epochs").value == 1500  # not re-sized to the data
    assert at.text_input(key="tr_encoder").value == "32, 16"
    assert at.number_input(key="tr_beta").value == 4.0 and at.number_input(key="tr_seed").value == 7
    assert at.number_input(key="tr_latent_dim").value == 3
    assert at.number_input(key="tr_decoder_std").value == 0.3
    assert at.toggle(key="tr_xla").value is False
    # "Train again" trains exactly the restored run's settings.
    assert form_settings(at) == (run.model_config, run.train_config)


def test_following_a_link_sets_every_field_it_names(app_test):
    at = app_test("app.py", default_timeout=60)
    at.query_params.update(
        {
            "data": "spirals",
            "epochs": "1500",
            "encoder": "32,16",
            "beta": "4.0",
            "seed": "7",
            "latent_dim": "3",
            "decoder_std": "0.3",
            "clip_norm": "2.5",
            "until_paused": "true",
        }
    )
    at.run()
    assert not at.exception and not at.warning
    at.switch_page(TRAIN).run()
    assert not at.exception
    model, train = form_settings(at)
    assert model == ModelConfig(encoder_units=(32, 16), beta=4.0, latent_dim=3, decoder_std=0.3)
    assert train == TrainConfig(epochs=1500, seed=7, clip_norm=2.5, until_paused=True)
    assert at.number_input(key="tr_latent_dim").value == 3 and at.toggle(key="tr_until_paused").value
