"""Preset datasets (two moons, spirals, ...) generated from a seed, and datasets drawn by hand."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vae.config import DataConfig, Scaling
from vae.data.dataset import MIN_ROWS, DataError, Dataset, check_values, make_dataset
from vae.settings import Setting, schema, specialize, with_value

MAX_PRESET_POINTS = 200_000  # the preview stays responsive and a CPU epoch stays short


@dataclass(frozen=True)
class Preset:
    """One generator: what the UI shows and the defaults that make it look right.

    Its attributes are the preset-dependent defaults and bounds of the data settings: each
    setting of DataConfig names the ones it takes (``per_preset``), e.g. noise's default is
    ``noise`` and its upper bound ``noise_max``.
    """

    title: str
    description: str
    noise: float  # default noise, in the shape's own units
    noise_max: float
    param: str | None = None  # name of the one shape parameter, if any ("k", "arms")
    param_default: int | None = None
    param_range: tuple[int, int] | None = None
    n_dims: int = 2
    max_points: int = MAX_PRESET_POINTS  # the digits are a fixed set of 1,797 images

    @property
    def n_default(self) -> int:
        return min(DataConfig().n_samples, self.max_points)

    @property
    def noise_step(self) -> float:
        return self.noise_max / 100

    @property
    def param_label(self) -> str | None:
        return self.param.capitalize() if self.param else None

    @property
    def param_low(self) -> int | None:
        return self.param_range[0] if self.param_range else None

    @property
    def param_high(self) -> int | None:
        return self.param_range[1] if self.param_range else None


PRESETS: dict[str, Preset] = {
    "two_moons": Preset("Two moons", "Two interleaving half circles (scikit-learn make_moons).", 0.05, 0.5),
    "circles": Preset(
        "Concentric circles", "A small circle inside a large one (scikit-learn make_circles).", 0.05, 0.3
    ),
    "blobs": Preset(
        "Gaussian mixture",
        "k round gaussian blobs at seeded random centres "
        "(scikit-learn make_blobs); noise is each blob's standard deviation.",
        1.0,
        4.0,
        "blobs (k)",
        4,
        (1, 12),
    ),
    "spirals": Preset(
        "Spirals", "Interleaved spiral arms growing from the origin.", 0.3, 2.0, "arms", 2, (1, 6)
    ),
    "pinwheel": Preset(
        "Pinwheel",
        "Curved gaussian petals around the origin; noise is the petal width.",
        0.05,
        0.3,
        "petals",
        5,
        (2, 10),
    ),
    "checkerboard": Preset("Checkerboard", "Uniform points on the dark squares of a 4 x 4 board.", 0.0, 0.5),
    "swiss_roll": Preset(
        "Swiss roll (2-D)",
        "The swiss roll seen from its side (scikit-learn make_swiss_roll, columns x and z).",
        0.5,
        3.0,
    ),
    "ring": Preset(
        "Ring of gaussians",
        "k small gaussians evenly spaced on a circle of radius 4.",
        0.2,
        1.5,
        "gaussians (k)",
        8,
        (2, 16),
    ),
    "digits": Preset(
        "8x8 digits (64-D)",
        "scikit-learn's bundled handwritten digits: 1,797 images of "
        "8 x 8 pixels (values 0-16), one column per pixel. The one preset that is not 2-D.",
        0.0,
        4.0,
        n_dims=64,
        max_points=1797,
    ),
}
DEFAULT_PRESET = "two_moons"


@functools.cache
def preset_settings(preset: str) -> tuple[Setting, ...]:
    """The data settings for ``preset``, with its own defaults and bounds (``vae.settings.specialize``).

    A setting the preset lacks (a shape parameter of two moons) is left out; the preset's own
    setting lists every preset as its choices.
    """
    found = [special for s in schema(DataConfig) if (special := specialize(s, PRESETS[preset])) is not None]
    titles = {name: p.title for name, p in PRESETS.items()}
    return tuple(
        dataclasses.replace(s, choices=tuple(PRESETS), choice_labels=titles) if s.name == "data" else s
        for s in found
    )


def preset_config(preset: str) -> DataConfig:
    """``preset`` with its own defaults: its noise, its number of points, its shape parameter.

    The CLI, a link and the Data page all start from it, so the same rows have the same settings
    whichever made them (a shape parameter left out is this default).
    """
    config = DataConfig(preset=preset, name=PRESETS[preset].title)
    for s in preset_settings(preset):
        if s.per_preset:
            config = with_value(config, s, s.default)
    return config


def preset_param(config: DataConfig) -> int:
    """The preset's shape parameter (blobs, arms, ...) from ``config.params``, or its default."""
    spec = PRESETS[config.preset]
    value = config.params.get("k", spec.param_default)
    low, high = spec.param_range or (0, 0)
    if spec.param and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
        raise DataError(
            f"{spec.param} for {spec.title} must be an integer in [{low}, {high}]. Received: {value!r}"
        )
    return int(value or 0)


def _spirals(n: int, arms: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, arms, n)
    t = np.sqrt(rng.uniform(0.0, 1.0, n)) * 3.0 * np.pi  # sqrt: even density along the arm
    angle = t + 2.0 * np.pi * labels / arms
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    return x + rng.normal(0.0, noise, x.shape), labels


def _pinwheel(n: int, petals: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Johnson et al. (2016), "Composing graphical models with neural networks".
    labels = rng.integers(0, petals, n)
    features = rng.normal(size=(n, 2)) * np.array([0.3, max(noise, 1e-6)])
    features[:, 0] += 1.0
    angles = 2.0 * np.pi * labels / petals + 0.25 * np.exp(features[:, 0])
    cos, sin = np.cos(angles), np.sin(angles)
    x = np.stack(
        [cos * features[:, 0] - sin * features[:, 1], sin * features[:, 0] + cos * features[:, 1]], 1
    )
    return 2.0 * x, labels


def _checkerboard(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Squares of side 1 on [-2, 2]^2; keep the ones where floor(x) + floor(y) is even.
    x1 = rng.uniform(-2.0, 2.0, n)
    x2 = rng.uniform(0.0, 1.0, n) - 2.0 * rng.integers(0, 2, n) + np.floor(x1) % 2
    x = np.stack([x1, x2], axis=1)
    labels = ((np.floor(x1) + 2) + 4 * (np.floor(x2) + 2)).astype(int)
    return x + rng.normal(0.0, noise, x.shape), labels


def _ring(n: int, k: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, k, n)
    angle = 2.0 * np.pi * labels / k
    centres = 4.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centres + rng.normal(0.0, noise, centres.shape), labels


def generate(config: DataConfig) -> Dataset:
    """Build a preset dataset, labelled for colour; the same config (and seed) always gives the same data.

    ``params["k"]`` sets the preset's one shape parameter, if it has one. The digits preset
    has 1,797 images: ``n_samples`` below that takes a seeded subset, and ``noise`` adds
    gaussian pixel noise.

    Raises:
        DataError: for an unknown preset, too many points or a bad parameter.
    """
    from sklearn import datasets as skd

    name = config.preset
    if name not in PRESETS:
        raise DataError(f"Unknown preset {name!r}. Choose one of: {', '.join(PRESETS)}")
    if config.n_samples > MAX_PRESET_POINTS:
        raise DataError(
            f"Presets generate at most {MAX_PRESET_POINTS:,} points. Received: n_samples={config.n_samples:,}"
        )
    n, noise, seed = config.n_samples, float(config.noise), config.seed
    rng = np.random.default_rng(seed)
    k = preset_param(config)
    columns: tuple[str, ...] = ("x1", "x2")
    if name == "two_moons":
        x, y = skd.make_moons(n_samples=n, noise=noise, random_state=seed)
    elif name == "circles":
        x, y = skd.make_circles(n_samples=n, noise=noise, factor=0.5, random_state=seed)
    elif name == "blobs":
        x, y = skd.make_blobs(
            n_samples=n, centers=k, cluster_std=max(noise, 1e-6), center_box=(-10.0, 10.0), random_state=seed
        )
    elif name == "spirals":
        x, y = _spirals(n, k, noise, rng)
    elif name == "pinwheel":
        x, y = _pinwheel(n, k, noise, rng)
    elif name == "checkerboard":
        x, y = _checkerboard(n, noise, rng)
    elif name == "swiss_roll":
        x3, t = skd.make_swiss_roll(n_samples=n, noise=noise, random_state=seed)
        x, y = x3[:, [0, 2]], np.digitize(t, np.linspace(t.min(), t.max(), 7)[1:-1])
    elif name == "ring":
        x, y = _ring(n, k, noise, rng)
    else:  # digits
        digits = skd.load_digits()
        x, y = digits.data.astype(np.float64), digits.target
        if n < len(x):
            keep = np.sort(rng.choice(len(x), size=n, replace=False))
            x, y = x[keep], y[keep]
        if noise > 0:
            x = x + rng.normal(0.0, noise, x.shape)
        columns = tuple(f"px{r}{c}" for r in range(8) for c in range(8))
    if not config.name:
        config = config.replace(name=PRESETS[name].title)
    return make_dataset(x, columns, config, labels=np.asarray(y))


def from_points(points: Sequence[Sequence[float]], scaling: Scaling = "zscore") -> Dataset:
    """A dataset from drawn points ``(x, y)`` or ``(x, y, class)``; validated like an upload.

    Points drawn in more than one class get those classes as labels (for colour).

    Raises:
        DataError: fewer than 2 points, non-finite values or a constant column.
    """
    rows = [list(p) for p in points]
    classes = np.array([int(p[2]) if len(p) > 2 else 0 for p in rows], np.int64)
    values = np.asarray([p[:2] for p in rows], np.float64).reshape(-1, 2) if rows else np.zeros((0, 2))
    if len(values) < MIN_ROWS:
        raise DataError(
            f"The drawing has {len(values)} point(s); draw at least {MIN_ROWS} "
            "(drag on the canvas), then use it."
        )
    check_values(values, ("x", "y"), np.arange(len(values)) + 1)
    config = DataConfig(
        source="drawn", preset="drawing", n_samples=len(values), noise=0.0, scaling=scaling, name="drawing"
    )
    labels = classes if len(np.unique(classes)) > 1 else None
    return make_dataset(values, ("x", "y"), config, labels=labels)
