"""Preview views (vae/data/views.py): the PCA plane and its explained variance, column picks, matrix columns."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

from vae.data import views
from vae.ui import data_view


def test_pca_plane_is_sklearns_on_standardized_columns_and_says_how_much_it_explains():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(500, 2))
    values = np.column_stack(
        [latent[:, 0], 1000 * latent[:, 0] + rng.normal(size=500), latent[:, 1], rng.normal(size=500)]
    )
    projection = views.project(values, ["a", "b", "c", "d"], views.ViewChoice("pca"))
    z = (values - values.mean(0)) / values.std(0)
    reference = PCA(n_components=2).fit(z)
    share = reference.explained_variance_ratio_
    assert projection.titles == (f"PC1 ({share[0]:.0%} of variance)", f"PC2 ({share[1]:.0%})")
    np.testing.assert_allclose(np.abs(projection.apply(values)), np.abs(reference.transform(z)), atol=1e-9)
    # Columns a and b carry one direction: PC1 explains about half of 4 standardized columns.
    assert 0.45 < share[0] < 0.55
    assert projection.caption.startswith("PCA of the 4 standardized columns: PC1 explains 5")


def test_two_columns_keep_their_units_and_fall_back_to_existing_distinct_columns():
    values = np.arange(12.0).reshape(4, 3)
    projection = views.project(values, ["a", "b", "c"], views.ViewChoice("columns", "c", "a"))
    np.testing.assert_array_equal(projection.apply(values), values[:, [2, 0]])
    assert projection.titles == ("c", "a") and projection.caption == ""
    assert views.pick_columns(["a", "b", "c"], views.ViewChoice("columns", "gone", "a")) == ("a", "b")
    assert views.pick_columns(["a", "b"], views.ViewChoice("columns", "b", "b")) == ("b", "a")
    # 2-D data always shows its two columns, whatever the choice.
    assert views.project(values[:, :2], ["x", "y"], views.ViewChoice("pca")).titles == ("x", "y")


def test_scatter_matrix_of_up_to_six_columns_and_labels_in_natural_order():
    columns = [f"c{i}" for i in range(9)]
    assert views.matrix_columns(columns, views.ViewChoice("matrix")) == tuple(columns[:6])
    assert views.matrix_columns(columns, views.ViewChoice("matrix", matrix=("c8", "c1"))) == ("c8", "c1")
    values = np.random.default_rng(1).normal(size=(40, 9))
    labels = np.array([10.0, 2.0] * 20)
    fig, caption = data_view.scatter_figure(
        values, columns=columns, labels=labels, view=views.ViewChoice("matrix")
    )
    assert [t.type for t in fig.data] == ["splom", "splom"] and [t.name for t in fig.data] == ["2", "10"]
    assert len(fig.data[0].dimensions) == 6 and caption.startswith("Scatter matrix of 6 of 9 columns")
    fig, _ = data_view.scatter_figure(values, columns=columns, labels=labels)
    assert fig.layout.xaxis.title.text.startswith("PC1") and [t.name for t in fig.data] == ["2", "10"]
    fig, _ = data_view.scatter_figure(
        values, columns=["<b>x</b>", *columns[1:]], view=views.ViewChoice("columns")
    )
    assert fig.layout.xaxis.title.text == "&lt;b&gt;x&lt;/b&gt;"  # user text never renders as HTML
