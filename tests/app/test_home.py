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
    assert "Dataset: none yet" in captions
