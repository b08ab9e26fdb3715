"""User strings reach Plotly as text: a column or label named with HTML does not become a link or a style.

Plotly renders ``<a href>``, ``<span style>``, ``<b>`` and ``<br>`` in titles,
legend names and hover text. Every figure built from a hostile table must carry
those names escaped (``&lt;a href...``), which Plotly shows as typed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.app.test_compare_page import finished_comparison
from tests.app.test_other_width import moons_run
from tests.weights import random_weights
from vae.config import DataConfig
from vae.data.dataset import make_dataset
from vae.ui import compare_figures, data_view, state, train_views

LINK = '<a href="http://attacker.example/">click me</a>'
STYLE = '<span style="font-size:90px;color:red">huge</span>'
LABELS = np.array(["<b>bold</b>", "<br>break", LINK] * 100)


@pytest.fixture
def hostile():
    rng = np.random.default_rng(0)
    config = DataConfig(source="upload", preset="upload", n_samples=300, noise=0.0, name="hostile.csv")
    return make_dataset(rng.normal(size=(300, 2)), (LINK, STYLE), config, labels=LABELS)


def strings(node) -> list[str]:
    """Every string in a figure's JSON (titles, names, hover text, annotations)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, (list, tuple)):
        return [s for value in node for s in strings(value)]
    return []


def assert_escaped(figure_json: dict) -> None:
    found = strings(figure_json)
    for tag in ("<a ", "<span", "<b>bold", "<br>break"):
        assert not any(tag in s for s in found), [s for s in found if tag in s]
    joined = " ".join(found)
    assert "&lt;a href=" in joined and "&lt;span style=" in joined  # still there, as text


def test_the_data_scatter_escapes_axis_titles_and_legend_names(hostile):
    fig, _ = data_view.scatter_figure(hostile.values, columns=hostile.columns, labels=hostile.labels)
    assert_escaped(fig.to_plotly_json())
    names = {trace.name for trace in fig.data}
    assert "&lt;b&gt;bold&lt;/b&gt;" in names and "&lt;br&gt;break" in names


def test_the_train_panel_draws_column_names_as_text(hostile):
    """The Train page's live plots are a canvas: names are painted with fillText, never parsed as HTML."""
    run = moons_run()
    spec = train_views.panel_spec(hostile, train_views.ViewData.of(hostile, 2), run.weights)
    panel = spec["panels"][0]
    assert (panel["x"]["label"], panel["y"]["label"]) == tuple(hostile.columns[:2])  # verbatim
    js = (Path(__file__).resolve().parents[2] / "vae/ui/live_plot/plot.js").read_text()
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "fillText" in js


def test_compare_figures_escape_axis_titles(hostile):
    comparison = finished_comparison(hostile)
    entries = comparison.scored()
    assert_escaped(compare_figures.prior_figure(comparison, hostile, entries).to_plotly_json())


def test_the_learn_page_figure_escapes_axis_titles(app_test, hostile):
    run = moons_run()
    run.weights = random_weights(run.model_config)
    at = app_test("app.py")
    at.session_state[state.DATASET] = hostile
    at.session_state[state.RUN] = run
    at.run()
    at.switch_page("pages/learn.py").run()
    assert not at.exception
    charts = at.get("plotly_chart")
    assert charts
    for chart in charts:
        assert_escaped(json.loads(chart.proto.spec))
