"""Settings in the URL: a round trip, and bad or unknown parameters ignored with warnings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.presets import preset_config
from vae.storage.share import from_params, to_params


def test_round_trip_of_every_setting():
    data = DataConfig(
        preset="blobs",
        n_samples=750,
        noise=1.5,
        seed=42,
        params={"k": 6},
        scaling="minmax",
        name="Gaussian mixture",
    )
    model = ModelConfig(
        kind="vae",
        encoder_units=(128, 64, 8),
        decoder_units=(8, 64),
        activation="elu",
        latent_dim=2,
        beta=4.0,
        decoder_std=0.25,
    )
    train = TrainConfig(
        epochs=200,
        batch_size=64,
        learning_rate=3e-4,
        optimizer="sgd",
        momentum=0.5,
        validation_split=0.1,
        seed=17,
        kl_warmup_epochs=10,
        early_stopping_patience=5,
        clip_norm=1.0,
        jit_compile=False,
    )
    params = to_params(data, model, train)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    assert params["data"] == "blobs" and params["lr"] == "0.0003" and params["encoder"] == "128,64,8"
    shared = from_params(params)
    assert shared.warnings == ()
    assert shared.data_config == data
    assert shared.model_config == model and shared.train_config == train


def test_defaults_give_a_short_link():
    params = to_params(DataConfig(), ModelConfig(), TrainConfig())
    assert params == {"data": "two_moons"}  # the preset's own noise and size need no parameter
    assert from_params(params).data_config == DataConfig(name="Two moons")
    assert not from_params({}).given and from_params({}).data_config is None


def test_uploads_and_drawings_stay_out_of_links():
    params = to_params(DataConfig(source="upload", name="secret.csv"), ModelConfig(beta=2.0), None)
    assert params == {"beta": "2.0"}


def test_bad_and_unknown_params_are_ignored_with_warnings():
    shared = from_params(
        {
            "lr": "-1",  # fails validation
            "epochs": "ten",  # not a number
            "batch_size": "64",  # fine
            "activation": "lambda x: x",  # not a choice
            "encoder": "64,abc",
            "decoder": "16",  # fine
            "evil": "<script>alert(1)</script>",  # unknown
            "beta": "x" * 1000,  # too long
            "embed": "true",  # Streamlit's own: silently ignored
        }
    )
    assert shared.train_config == TrainConfig(batch_size=64)
    assert shared.model_config == ModelConfig(decoder_units=(16,))
    text = "\n".join(shared.warnings)
    assert len(shared.warnings) == 6, text
    assert "lr='-1'" in text and "learning_rate must be in (0, 1]" in text
    assert "epochs='ten'" in text and "activation=" in text and "encoder=" in text
    assert "unknown link parameter 'evil'" in text and "too long" in text and "embed" not in text
    assert set(shared.given) == {"batch_size", "decoder"}


def test_bad_data_params():
    shared = from_params({"data": "mnist", "noise": "0.1"})
    assert shared.data_config is None and "not a preset" in shared.warnings[0]
    shared = from_params({"noise": "0.1"})
    assert shared.data_config is None and "names no dataset" in shared.warnings[0]
    shared = from_params(
        {"data": "spirals", "noise": "99", "n_samples": "5", "param": "40", "data_seed": "-3"}
    )
    assert shared.data_config == preset_config("spirals")  # its own noise and arms, 2,000 points
    assert shared.data_config.params == {"k": 2} and shared.data_config.noise == 0.3
    assert len(shared.warnings) == 4
    shared = from_params({"data": "two_moons", "param": "3"})
    assert "no shape parameter" in shared.warnings[0] and shared.data_config.params == {}
    shared = from_params({"data": "digits"})
    assert shared.data_config.n_samples == 1797


def test_repeated_key_uses_the_last_value():
    assert from_params({"seed": ["1", "2"]}).train_config.seed == 2


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=12), st.one_of(st.text(max_size=80), st.lists(st.text(max_size=8)))))
def test_never_raises(params):
    shared = from_params(params)
    assert isinstance(shared.train_config, TrainConfig) and isinstance(shared.model_config, ModelConfig)


# --- Streamlit glue (vae/ui/share.py) ----------------------------------------


def _app():
    from vae.ui import share as ui_share

    ui_share.read_query_params()
    ui_share.sync_query_params()


def test_link_restores_dataset_and_train_form_once():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_app, default_timeout=60)
    at.query_params.update(
        {
            "data": "blobs",
            "param": "5",
            "data_seed": "9",
            "lr": "0.003",
            "epochs": "10",
            "batch_size": "100",
            "bogus": "<i>x</i>",
        }
    )
    at.run()
    assert not at.exception
    dataset = at.session_state["ll_dataset"]
    assert dataset.config.preset == "blobs" and dataset.config.params == {"k": 5} and dataset.config.seed == 9
    assert at.session_state["tr_lr"] == 0.003 and at.session_state["tr_epochs"] == 10
    assert at.session_state["tr_batch_size"] == 128  # snapped onto the form's scale
    text = at.warning[0].value
    assert "bogus" in text and "batch size 100" in text and "<i>" not in text
    # The address bar now shows the session's settings; foreign parameters are left alone.
    assert at.query_params["data"] == "blobs" and at.query_params["lr"] == "0.003"
    assert "batch_size" not in at.query_params  # 128 is the default: links stay short
    assert at.query_params["bogus"] == "<i>x</i>"
    # Applied once per session: a later change in the form is not overwritten by the link.
    at.session_state["tr_lr"] = 0.01
    at.run()
    assert at.session_state["tr_lr"] == 0.01 and at.query_params["lr"] == "0.01"
    # Every form field reaches the address bar, the Advanced ones too.
    at.session_state["tr_latent_dim"], at.session_state["tr_decoder_std"] = 3, 0.3
    at.run()
    assert at.query_params["latent_dim"] == "3" and at.query_params["decoder_std"] == "0.3"
    assert len(at.warning) == 0


def test_no_link_changes_nothing():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_app, default_timeout=60).run()
    assert not at.exception and "ll_dataset" not in at.session_state
    assert dict(at.query_params) == {}


def test_the_restored_count_is_what_was_applied_and_every_setting_reaches_the_form():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_app, default_timeout=60)
    at.query_params.update(
        {
            "data": "blobs",
            "lr": "0.003",
            "kind": "ae",
            "latent_dim": "3",
            "sparsity": "0.5",
            "decoder_std": "0.5",
        }
    )
    at.run()
    assert not at.exception
    # All six applied: the dataset, and five settings the Train form now has a field for.
    assert [t.value for t in at.toast] == ["Restored 6 setting(s) from the link."]
    assert at.session_state["ll_dataset"].config.preset == "blobs" and at.session_state["tr_lr"] == 0.003
    assert at.session_state["tr_kind"] == "ae" and at.session_state["tr_latent_dim"] == 3
    assert at.session_state["tr_sparsity"] == 0.5 and at.session_state["tr_decoder_std"] == 0.5
    assert len(at.warning) == 0
