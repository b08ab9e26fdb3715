"""Datasets: generators, CSV reading and validation, and the Standardizer.

(Skeleton: the Data-page issue extends this module with every generator and
the CSV parser; the ``Dataset`` and ``Standardizer`` interfaces are shared by
every page and must stay.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vae.config import DataConfig, Scaling


@dataclass(frozen=True)
class Standardizer:
    """Per-column affine map between original units and training units.

    ``transform(x) = (x - offset) / scale``; ``inverse_transform`` undoes it.
    """

    offset: np.ndarray
    scale: np.ndarray
    method: Scaling = "zscore"

    @classmethod
    def fit(cls, values: np.ndarray, method: Scaling = "zscore") -> Standardizer:
        values = np.asarray(values, np.float64)
        d = values.shape[1]
        if method == "zscore":
            offset, scale = values.mean(axis=0), values.std(axis=0)
        elif method == "minmax":
            offset, scale = values.min(axis=0), values.max(axis=0) - values.min(axis=0)
        else:
            offset, scale = np.zeros(d), np.ones(d)
        scale = np.where(scale > 0, scale, 1.0)
        return cls(offset=offset, scale=scale, method=method)

    def transform(self, values: np.ndarray) -> np.ndarray:
        return ((np.asarray(values, np.float64) - self.offset) / self.scale).astype(np.float32)

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, np.float64) * self.scale + self.offset

    def to_dict(self) -> dict:
        return {"method": self.method, "offset": self.offset.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> Standardizer:
        return cls(offset=np.asarray(data["offset"], np.float64),
                   scale=np.asarray(data["scale"], np.float64), method=data["method"])


@dataclass(frozen=True)
class Dataset:
    """A validated dataset in original units, with how to standardize it.

    Attributes:
        values: (n, D) float64, original units, all finite.
        columns: the D column names.
        labels: optional (n,) array used only for colour.
        standardizer: fitted on ``values`` with ``config.scaling``.
        config: where the data came from.
        notes: what loading did (rows dropped, subsampled, ...), for the UI.
    """

    values: np.ndarray
    columns: tuple[str, ...]
    standardizer: Standardizer
    config: DataConfig
    labels: np.ndarray | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_dims(self) -> int:
        return int(self.values.shape[1])

    @property
    def name(self) -> str:
        return self.config.name or self.config.preset

    def standardized(self) -> np.ndarray:
        """float32 (n, D) training values."""
        return self.standardizer.transform(self.values)


def make_dataset(values: np.ndarray, columns, config: DataConfig, labels=None, notes=()) -> Dataset:
    values = np.asarray(values, np.float64)
    return Dataset(values=values, columns=tuple(columns),
                   standardizer=Standardizer.fit(values, config.scaling), config=config,
                   labels=None if labels is None else np.asarray(labels), notes=tuple(notes))


def generate(config: DataConfig) -> Dataset:
    """Build a preset dataset (only two moons in this skeleton)."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=config.n_samples, noise=config.noise, random_state=config.seed)
    return make_dataset(x, ("x1", "x2"), config, labels=y)
