"""AppTest of the entrypoint: app.py runs its default page (Home) through st.navigation."""


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
    from vae.data import generate
    from vae.run import Run

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
