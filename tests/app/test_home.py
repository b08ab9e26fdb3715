"""AppTest of the entrypoint: app.py runs its default page (Home) through st.navigation."""

import pytest


def test_app_renders_home_without_exception(app_test):
    at = app_test("app.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Latent Lab"]


def test_home_shows_the_three_steps(app_test):
    at = app_test("app.py").run()
    headings = " | ".join(s.value for s in at.subheader)
    for step in ("Data", "Train", "Explore"):
        assert step in headings, headings


def test_sidebar_says_no_dataset_yet(app_test):
    at = app_test("app.py").run()
    captions = [c.value for c in at.sidebar.caption]
    assert any("Dataset: none yet" in c for c in captions)


def test_steps_report_the_session_state(app_test):
    from vae.config import DataConfig, ModelConfig, TrainConfig
    from vae.data.presets import generate
    from vae.runs.run import Run

    at = app_test("app.py")
    dataset = generate(DataConfig(n_samples=300, name="Two moons"))
    at.session_state["ll_dataset"] = dataset
    at.session_state["ll_run"] = Run(
        DataConfig(),
        ModelConfig(),
        TrainConfig(),
        status="finished",
        history=[{"epoch": 7, "loss": 5.25, "recon": 1.5, "kl": 3.75}],
    )
    at.run()
    captions = " | ".join(c.value for c in at.caption)
    assert "Two moons: 300 rows × 2 columns" in captions
    assert "epoch 7, loss 5.250 nats/point (reconstruction 1.500, KL 3.750)" in captions
    assert "Needs a trained model" in captions  # no weights yet: Explore not ready


@pytest.mark.slow
def test_try_it_now_with_a_dataset_active_loads_two_moons_and_keeps_the_users_data_and_settings(app_test):
    from tests.app.test_train_page import stop_job
    from vae.config import DataConfig, ModelConfig, TrainConfig
    from vae.data.presets import generate

    at = app_test("app.py", default_timeout=60)
    digits = generate(DataConfig(preset="digits", n_samples=400))
    at.session_state["ll_dataset"] = digits
    mine = {"tr_encoder": "16", "tr_seed": 5, "tr_epochs": 7, "tr_beta": 2.0}  # the user's Train form
    for key, value in mine.items():
        at.session_state[key] = value
    at.session_state["tr_epochs_auto"] = False  # as typing into Epochs does: the budget is the user's now
    at.run()
    at.switch_page("pages/home.py").run()  # AppTest delivers clicks on a page it switched to
    tour = next(b for b in at.markdown if "New here?" in b.value)
    assert "Your dataset (8x8 digits (64-D)) and your Train settings are kept" in tour.value
    at.button(key="try_it_now").click().run()
    try:
        assert not at.exception
        assert at.title[0].value == "Train a VAE"
        moons = at.session_state["ll_dataset"]
        assert moons.config.preset == "two_moons" and moons.name == "Two moons" and moons.n_dims == 2
        assert at.session_state["ll_past_datasets"] == [digits]  # the user's data, to go back to
        # The default model trains on two moons; the form still holds the user's settings.
        run = at.session_state["ll_run"]
        assert run.data_config == moons.config
        assert run.model_config == ModelConfig(input_dim=2) and run.train_config == TrainConfig()
        assert {k: at.session_state[k] for k in mine} == mine
        assert any("which are kept for your next Start" in c.value for c in at.caption)
        assert at.session_state["ll_job"].is_alive()
    finally:
        stop_job(at)
    # Back to the user's dataset from the Runs page.
    at.switch_page("pages/runs.py").run()
    at.button(key="runs_dataset_back_0").click().run()
    assert at.session_state["ll_dataset"] is digits and not at.exception


def test_a_page_that_runs_out_of_memory_says_so_and_keeps_the_session(app_test, monkeypatch):
    """app.py runs each page through vae.ui.shell.run_page: one message, never an exception box."""
    from streamlit.navigation.page import StreamlitPage

    from vae.config import DataConfig
    from vae.data.presets import generate
    from vae.ui import state

    run = StreamlitPage.run

    def home_runs_out_of_memory(page):
        if str(page._page).endswith("pages/home.py"):  # app.py itself runs as a page in AppTest
            raise MemoryError
        run(page)

    monkeypatch.setattr(StreamlitPage, "run", home_runs_out_of_memory)
    at = app_test("app.py")
    dataset = generate(DataConfig(n_samples=100))
    at.session_state[state.DATASET] = dataset
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert (
        len(errors) == 1 and "ran out of memory" in errors[0] and "data, model and runs are kept" in errors[0]
    )
    assert at.session_state[state.DATASET] is dataset
    assert any("Dataset:" in c.value for c in at.sidebar.caption)  # the shell around the page still drew
