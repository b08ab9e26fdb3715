"""Real small tables as datasets, as a user's upload makes them (scikit-learn ships them offline)."""

from __future__ import annotations

from sklearn.datasets import load_iris, load_wine

from vae.config import DataConfig
from vae.data.dataset import Dataset, make_dataset


def iris() -> Dataset:
    """iris (150 rows x 4 columns), labelled by species, as if uploaded as iris.csv."""
    bunch = load_iris()
    config = DataConfig(source="upload", preset="upload", n_samples=150, noise=0.0, name="iris.csv")
    return make_dataset(bunch.data, tuple(bunch.feature_names), config, labels=bunch.target)


def wine() -> Dataset:
    """wine (178 rows x 13 columns), labelled by cultivar, as if uploaded as wine.csv."""
    bunch = load_wine()
    config = DataConfig(source="upload", preset="upload", n_samples=178, noise=0.0, name="wine.csv")
    return make_dataset(bunch.data, tuple(bunch.feature_names), config, labels=bunch.target)
