"""Compare's prior-sample panels draw the data in the plane the Data page shows it in.

Two columns stay as they are (the same numbers as before the projection was shared); a table with
more columns lands on the Data page's PCA plane of the standardized columns, not on a plane of the
raw columns where the column with the largest units (wine's proline) would be the whole picture.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from tests.app.test_compare_page import finished_comparison
from tests.tables import wine
from vae.config import DataConfig
from vae.core.explore import prior_samples_original
from vae.data.presets import generate
from vae.ui import compare_figures, data_view


def panel_traces(figure, name: str) -> list[np.ndarray]:
    """The (n, 2) points of every panel's trace called ``name``."""
    return [np.column_stack([t.x, t.y]) for t in figure.data if t.name == name]


def test_two_columns_are_drawn_in_their_own_units():
    dataset = generate(DataConfig(n_samples=300))
    comparison = finished_comparison(dataset)
    entries = comparison.scored()
    figure = compare_figures.prior_figure(comparison, dataset, entries)

    for held_out in panel_traces(figure, "held-out data"):
        np.testing.assert_array_equal(held_out, dataset.values[comparison.test_rows])
    for entry, samples in zip(entries, panel_traces(figure, "decoder(z), z ~ N(0, I)"), strict=True):
        seed = comparison.spec.train.seed + 3
        _, decoded = prior_samples_original(entry.weights, dataset.standardizer, 500, seed)
        np.testing.assert_allclose(samples, decoded, rtol=0, atol=1e-12)
    assert figure.layout.xaxis.title.text == dataset.columns[0]
    assert figure.layout.yaxis.title.text == dataset.columns[1]


def test_wine_lands_on_the_data_pages_pca_plane():
    dataset = wine()
    comparison = finished_comparison(dataset)
    figure = compare_figures.prior_figure(comparison, dataset, comparison.scored())
    held_out = panel_traces(figure, "held-out data")[0]

    # Where the Data page's preview puts the same rows (it fits its plane on the whole table).
    preview, _ = data_view.points_figure(data_view.label_sets(dataset.values, None), dataset.columns)
    on_data_page = np.column_stack([preview.data[0].x, preview.data[0].y])[comparison.test_rows]
    np.testing.assert_allclose(held_out, on_data_page, rtol=0, atol=1e-9)

    # That plane is PCA of the standardized columns (up to each axis's sign), not of the raw ones.
    standardized = StandardScaler().fit_transform(dataset.values)
    expected = PCA(n_components=2).fit(standardized).transform(standardized)[comparison.test_rows]
    for axis in (0, 1):
        sign = np.sign(held_out[:, axis] @ expected[:, axis])
        np.testing.assert_allclose(held_out[:, axis], sign * expected[:, axis], atol=1e-9)
    proline = dataset.values[comparison.test_rows, list(dataset.columns).index("proline")]
    assert abs(np.corrcoef(held_out[:, 0], proline)[0, 1]) < 0.9  # the raw plane's PC1 is proline
    assert (
        figure.layout.xaxis.title.text.startswith("PC1 (")
        and "% of variance" in figure.layout.xaxis.title.text
    )


def test_the_legend_names_the_prior_circles_once_with_an_autoencoder_first():
    """Compare's default, Autoencoder then VAE: the circles are drawn on the VAE's panel only,
    and the legend names them once (before, only a variational first panel named them)."""
    dataset = generate(DataConfig(n_samples=300))
    comparison = finished_comparison(dataset)  # Autoencoder, then VAE
    entries = comparison.scored()
    assert [e.variant.is_variational for e in entries] == [False, True]
    figure = compare_figures.latent_figure(comparison, dataset, entries)
    circles = [t for t in figure.data if t.name == "prior N(0, I): 1, 2, 3σ"]
    assert len(circles) == 3 and {t.xaxis for t in circles} == {"x2"}  # 1, 2, 3σ on the VAE's panel
    assert [t.showlegend for t in circles] == [True, False, False]
    radii = sorted(float(np.hypot(t.x[0], t.y[0])) for t in circles)
    np.testing.assert_allclose(radii, [1.0, 2.0, 3.0], atol=1e-12)
