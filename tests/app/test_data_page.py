"""AppTest of the Data page: presets, uploads (good and bad), drawing, scaling, persistence.

The page runs inside app.py's navigation (its page links need it), so each
test starts app.py and switches to pages/data.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from tests.unit.test_data import BAD
from vae.ui import state, upload_panel


@pytest.fixture
def data_page(app_test):
    def make() -> AppTest:
        at = app_test("app.py", default_timeout=60).run()
        at.switch_page("pages/data.py").run()
        assert not at.exception
        return at

    return make


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def active(at: AppTest):
    return at.session_state[state.DATASET] if state.DATASET in at.session_state else None  # noqa: SIM401 (no .get)


def view_kind(at: AppTest):
    (kind,) = [b for b in at.get("button_group") if b.key == "data_upload_preview_view_kind"]
    return kind


def upload(at: AppTest, name: str, payload: bytes) -> AppTest:
    at.file_uploader(key="data_upload").set_value((name, payload, "text/csv")).run()
    assert not at.exception
    return at


def test_first_visit_shows_two_moons_and_no_active_dataset(data_page):
    at = data_page()
    assert texts(at.title) == ["Data"]
    assert any("No dataset yet" in t for t in texts(at.info))
    assert at.selectbox(key="data_preset").value == "two_moons"
    assert at.button(key="data_use_generated").label == "Use this dataset"
    assert active(at) is None
    labels = [u.label for u in at.file_uploader]
    assert any("at most 100 MB" in label for label in labels), labels


def test_use_preset_sets_the_session_dataset_and_shows_it(data_page):
    at = data_page()
    at.selectbox(key="data_preset").set_value("ring").run()
    at.slider(key="data_param_ring").set_value(5).run()
    at.button(key="data_use_generated").click().run()
    ds = active(at)
    assert ds.config.preset == "ring" and ds.config.params == {"k": 5} and ds.n_rows == 2000
    assert len(np.unique(ds.labels)) == 5
    assert any("Active dataset: Ring of gaussians" in t for t in texts(at.success))
    assert any("2,000 rows × 2 columns" in t for t in texts(at.success))
    # It survives a page switch and comes back with the same settings.
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/data.py").run()
    assert active(at) is ds and at.selectbox(key="data_preset").value == "ring"


def test_same_seed_gives_same_data_and_digits_preview(data_page):
    at = data_page()
    at.button(key="data_use_generated").click().run()
    first = active(at).values.copy()
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/data.py").run()
    at.button(key="data_use_generated").click().run()
    np.testing.assert_array_equal(active(at).values, first)
    at.selectbox(key="data_preset").set_value("digits").run()
    assert not at.exception
    assert any("8 × 8 pixels, 64 columns" in t for t in texts(at.caption))


def test_scaling_choice_is_stored_with_the_active_dataset(data_page):
    at = data_page()
    assert not [r for r in at.radio if r.key == "data_scaling"]  # nothing to scale yet
    at.button(key="data_use_generated").click().run()
    at.radio(key="data_scaling").set_value("minmax").run()
    ds = active(at)
    assert ds.config.scaling == "minmax"
    np.testing.assert_allclose(ds.standardized().min(0), 0, atol=1e-6)
    np.testing.assert_allclose(ds.standardized().max(0), 1, atol=1e-6)


def test_next_step_button_opens_the_train_page_with_the_active_dataset(data_page):
    at = data_page()
    assert not [b for b in at.button if b.key == "data_next_train"]  # no next step without data
    at.selectbox(key="data_preset").set_value("circles").run()
    at.button(key="data_use_generated").click().run()
    at.button(key="data_next_train").click().run()
    assert not at.exception
    assert texts(at.title) == ["Train a VAE"] and active(at).config.preset == "circles"


def test_good_upload_reports_rows_and_columns_and_can_be_used(data_page):
    at = upload(data_page(), "pts.csv", b"name;a;b;c\np;1,5;2;3\nq;;5;6\nr;7;8;9\ns;2;4;9\n")
    assert at.multiselect(key=upload_panel.COLUMNS_KEY).value == ["a", "b", "c"]
    assert at.multiselect(key=upload_panel.COLUMNS_KEY).options == ["a", "b", "c"]
    captions = " | ".join(texts(at.caption))
    assert "semicolon-separated, decimal comma, UTF-8, header row" in captions
    assert "Modelling 'a', 'b', 'c' on 3 of 4 rows." in captions
    assert " ".join(captions.split()).count("Read ") == 1  # the table's summary only
    assert any("Dropped 1 row(s)" in w and "line(s) 3)" in w for w in texts(at.warning))
    at.button(key="data_use_upload").click().run()
    ds = active(at)
    np.testing.assert_array_equal(ds.values, [[1.5, 2, 3], [7, 8, 9], [2, 4, 9]])
    assert ds.name == "pts.csv"


def test_downloaded_csv_round_trips_through_the_uploader(data_page):
    at = data_page()
    at.button(key="data_use_generated").click().run()
    original = active(at)
    from vae.data.dataset import to_csv_bytes

    upload(at, "back.csv", to_csv_bytes(original))
    at.button(key="data_use_upload").click().run()
    back = active(at)
    np.testing.assert_array_equal(back.values, original.values)
    np.testing.assert_array_equal(back.labels.astype(int), original.labels)
    assert at.get("download_button")[0].proto.label == "Download as CSV"


@pytest.mark.parametrize("case", list(BAD))
def test_bad_upload_shows_an_error_and_keeps_the_previous_dataset(data_page, case):
    at = data_page()
    at.button(key="data_use_generated").click().run()
    before = active(at)
    raw, _kind, text = BAD[case]
    upload(at, f"{case}.csv", raw)
    errors = texts(at.error)
    assert any(text in e and "The current dataset is unchanged" in e for e in errors), errors
    assert not any(b.key == "data_use_upload" for b in at.button)
    assert active(at) is before


def test_more_than_a_million_rows_offers_a_seeded_subsample(data_page, monkeypatch):
    monkeypatch.setattr("vae.ui.upload_panel.MAX_ROWS", 30)
    at = data_page()
    upload(at, "many.csv", ("a,b\n" + "".join(f"{i},{i % 7}\n" for i in range(40))).encode())
    assert any("40 rows, more than the 30 limit" in w for w in texts(at.warning))
    use = at.button(key="data_use_upload")
    assert use.label == "Use a seeded subsample of 30 rows"
    use.click().run()
    assert active(at).n_rows == 30


def test_file_over_the_upload_limit_is_refused(data_page):
    st_config.set_option("server.maxUploadSize", 1)
    try:
        at = data_page()
        assert any("at most 1 MB" in u.label for u in at.file_uploader)
        upload(at, "big.csv", b"a,b\n" + b"1.000000,2.000000\n" * 70_000)  # ~1.3 MB
        assert any("over the 1 MB upload limit" in e for e in texts(at.error))
        assert active(at) is None
    finally:
        st_config.set_option("server.maxUploadSize", 100)


def test_drawn_points_are_used_and_cleared(data_page):
    at = data_page()
    assert at.button(key="data_use_drawing").disabled
    at.session_state[state.DRAWN_POINTS] = [[0.0, 0.0], [1.0, 2.0], [2.0, -1.0]]
    at.run()
    at.button(key="data_use_drawing").click().run()
    ds = active(at)
    assert ds.config.source == "drawn" and ds.n_rows == 3
    at.button(key="data_clear_drawing").click().run()
    assert at.session_state[state.DRAWN_POINTS] == [] and at.session_state[state.DRAWN_TOKEN] == 1
    assert active(at) is ds  # clearing the canvas does not drop the dataset in use


def test_running_out_of_memory_while_reading_is_an_error_and_keeps_the_dataset(data_page, monkeypatch):
    at = data_page()
    at.button(key="data_use_generated").click().run()
    before = active(at)

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("vae.data.csv_reader.pd.read_csv", exhausted)
    upload(at, "big.csv", b"a,b\n1,2\n3,4\n")
    assert any("ran out of memory" in e for e in texts(at.error)), texts(at.error)
    assert active(at) is before


def test_wine_roles_label_removal_message_and_the_kept_upload(data_page):
    from tests.unit.test_columns import WINE_COLUMNS, wine_csv

    at = upload(data_page(), "wine.csv", wine_csv())
    columns, label = at.multiselect(key=upload_panel.COLUMNS_KEY), at.selectbox(key=upload_panel.LABEL_KEY)
    assert columns.value == list(WINE_COLUMNS) and label.value == "class"
    assert "class" not in columns.options  # "Select all" cannot leak the answer into the model
    assert columns.label == "Modelled columns (13 of 13 numeric)"
    # No label: "class" becomes a column one may model; picking it as the label again moves it out.
    label.set_value(None).run()
    at.multiselect(key=upload_panel.COLUMNS_KEY).select("class").run()
    assert "class" in at.multiselect(key=upload_panel.COLUMNS_KEY).value
    at.selectbox(key=upload_panel.LABEL_KEY).set_value("class").run()
    assert at.multiselect(key=upload_panel.COLUMNS_KEY).value == list(WINE_COLUMNS)
    assert any(
        "'class' is the label, so it was removed from the modelled columns" in t for t in texts(at.info)
    )
    at.multiselect(key=upload_panel.COLUMNS_KEY).unselect("proline").run()
    at.button(key="data_use_upload").click().run()
    ds = active(at)
    assert ds.columns == WINE_COLUMNS[:-1] and ds.config.label_column == "class"
    assert sorted(set(ds.labels.tolist())) == [1, 2, 3]
    # Leave the page and come back: the file and the choices are still there, ready to change.
    at.switch_page("pages/train.py").run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert any("wine.csv: kept in this session" in t for t in texts(at.caption))
    assert at.multiselect(key=upload_panel.COLUMNS_KEY).value == list(WINE_COLUMNS[:-1])
    assert at.selectbox(key=upload_panel.LABEL_KEY).value == "class"
    at.multiselect(key=upload_panel.COLUMNS_KEY).select("proline").run()
    at.button(key="data_use_upload").click().run()
    assert active(at).columns == WINE_COLUMNS


def test_missing_values_can_be_filled_with_the_median(data_page):
    from tests.unit.test_columns import penguins_csv

    at = upload(data_page(), "penguins.csv", penguins_csv())
    assert at.selectbox(key=upload_panel.LABEL_KEY).value == "species"
    missing = at.radio(key=upload_panel.MISSING_KEY)
    assert missing.label == "Missing values: 2 row(s) have 4 missing cell(s) in the modelled columns"
    assert missing.value == "drop" and any("Dropped 2 row(s)" in w for w in texts(at.warning))
    missing.set_value("median").run()
    assert not at.warning
    assert any("Filled missing values with the column median" in c for c in texts(at.caption))
    at.button(key="data_use_upload").click().run()
    assert active(at).n_rows == 120 and active(at).config.missing == "median"


def test_preview_views_for_more_than_two_columns(data_page):
    from tests.unit.test_columns import WINE_COLUMNS, wine_csv

    at = upload(data_page(), "wine.csv", wine_csv())
    kind = view_kind(at)
    assert kind.value == "pca"
    assert any("PCA of the 13 standardized columns: PC1 explains" in c for c in texts(at.caption))
    kind.set_value("columns").run()
    at.selectbox(key="data_upload_preview_view_y").set_value("proline").run()
    fig = at.get("plotly_chart")[-1].proto.spec
    assert '"title":{"text":"proline"}' in fig.replace(" ", "")
    view_kind(at).set_value("matrix").run()
    assert at.multiselect(key="data_upload_preview_view_matrix").value == list(WINE_COLUMNS[:6])
    assert '"type":"splom"' in at.get("plotly_chart")[-1].proto.spec.replace(" ", "")
    # The choice is kept across pages.
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/data.py").run()
    assert view_kind(at).value == "matrix"


def test_drawing_two_classes_gives_labels_and_undo_takes_back_a_stroke(data_page):
    at = data_page()
    (cls,) = [b for b in at.get("button_group") if b.key == "data_draw_class"]
    assert cls.value == 0
    cls.set_value(1).run()
    assert at.session_state[state.DRAWN_CLASS] == 1
    # Two strokes, kept as the page's on_stroke keeps them: a class-0 moon, then a class-1 moon
    # (each stroke pushes the drawing before it on the undo stack).
    first = [[np.cos(t), np.sin(t), 0] for t in np.linspace(0, np.pi, 20)]
    second = [[1 - np.cos(t), 0.5 - np.sin(t), 1] for t in np.linspace(0, np.pi, 20)]
    at.session_state[state.DRAWN_UNDO] = [[], first]
    at.session_state[state.DRAWN_POINTS] = first + second
    at.run()
    at.button(key="data_use_drawing").click().run()
    ds = active(at)
    assert ds.n_rows == 40 and sorted(set(ds.labels.tolist())) == [0, 1]
    at.button(key="data_undo_drawing").click().run()
    assert at.session_state[state.DRAWN_POINTS] == first and at.session_state[state.DRAWN_TOKEN] == 1
    at.button(key="data_undo_drawing").click().run()
    assert at.session_state[state.DRAWN_POINTS] == [] and at.button(key="data_undo_drawing").disabled
    # The class picked stays picked after leaving the page.
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/data.py").run()
    assert next(b for b in at.get("button_group") if b.key == "data_draw_class").value == 1


@pytest.mark.slow
def test_a_shared_link_opens_the_data_page_with_every_field_set_and_trains_on_that_data(app_test):
    from tests.app.test_train_page import wait_for
    from vae.data.presets import generate, preset_config

    at = app_test("app.py", default_timeout=60)
    link = {"data": "spirals", "noise": "0.2", "n_samples": "600", "data_seed": "5", "param": "3"}
    at.query_params.update({**link, "epochs": "3", "batch_size": "64", "scaling": "minmax"})
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception and not at.warning
    expected = preset_config("spirals").replace(
        n_samples=600, noise=0.2, seed=5, params={"k": 3}, scaling="minmax"
    )
    assert active(at).config == expected

    def fields_hold_the_link() -> None:
        assert at.selectbox(key="data_preset").value == "spirals"
        assert at.number_input(key="data_n_samples_spirals").value == 600
        assert at.slider(key="data_noise_spirals").value == 0.2
        assert at.number_input(key="data_data_seed_spirals").value == 5
        assert at.slider(key="data_param_spirals").value == 3
        assert at.radio(key="data_scaling").value == "minmax"

    fields_hold_the_link()
    # The form holds exactly the link's data: using it changes neither the settings nor a row.
    at.button(key="data_use_generated").click().run()
    assert active(at).config == expected
    assert np.array_equal(active(at).values, generate(expected).values)
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/data.py").run()
    fields_hold_the_link()  # leaving the page and coming back

    at.switch_page("pages/train.py").run()
    assert at.number_input(key="tr_epochs").value == 3
    at.button(key="tr_start").click().run()
    wait_for(at, lambda a: not a.session_state["ll_run"].is_active)
    run = at.session_state["ll_run"]
    assert run.status == "finished" and run.epochs_done == 3, run.message
    assert run.data_config == expected and run.train_config.batch_size == 64
    assert np.array_equal(at.session_state[state.DATASET].values, generate(expected).values)
    assert at.query_params["noise"] == "0.2" and at.query_params["data_seed"] == "5"  # the link still says it


def test_an_uploads_choices_are_what_the_reproduce_command_rebuilds(data_page, tmp_path):
    """Columns, label and missing values chosen on the page: the CLI rebuilds the same rows from them."""
    from tests.unit.test_columns import penguins_csv
    from vae import __main__ as cli
    from vae.config import ModelConfig, TrainConfig
    from vae.storage.reproduce import cli_arguments

    at = upload(data_page(), "penguins.csv", penguins_csv())
    at.selectbox(key=upload_panel.LABEL_KEY).set_value("island").run()
    at.multiselect(key=upload_panel.COLUMNS_KEY).unselect("flipper_length_mm").run()
    at.radio(key=upload_panel.MISSING_KEY).set_value("median").run()
    at.button(key="data_use_upload").click().run()
    at.radio(key="data_scaling").set_value("minmax").run()  # shown with the active dataset
    ds = active(at)
    assert (
        ds.config.label_column == "island" and ds.config.missing == "median" and ds.config.scaling == "minmax"
    )
    assert "flipper_length_mm" not in ds.columns and ds.n_rows == 120
    # The command a run on it shows, pointed at the same file, parsed by the CLI's own parser.
    path = tmp_path / "penguins.csv"
    path.write_bytes(penguins_csv())
    words = cli_arguments(ds.config, ModelConfig(), TrainConfig(), out=None, csv_path=str(path))
    args = cli.build_parser().parse_args(words)
    again = cli.load_data(args, cli.data_config_from_args(args))
    assert again.config == ds.config and np.array_equal(again.values, ds.values)
    assert np.array_equal(again.labels, ds.labels)
