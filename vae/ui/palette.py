"""The app's colours, in one place, so a thing looks the same on every page.

Roles (used by the Data, Train, Explore, Compare and Runs pages and the latent pad):

    data              slate grey    the dataset's points (unlabelled), and the backdrop
                                    under reconstructions and samples
    reconstructions   blue          decoder(encoder(x)), and a point's posterior on the pad
    prior samples     green         decoder(z) for z ~ N(0, I): what the model generates
    dragged point     crimson       the latent point you drag and what it decodes to
    path              orange        interpolation paths
    true posterior    vermillion    a clicked point's true posterior p(z|x) on the pad

Every colour is mid-luminance so it reads on the light and the dark theme (no
black, no white). Labelled data (clusters, classes) use ``LABEL_COLORS``, whose
first entries avoid the role colours, so a two- or three-cluster dataset never
looks like reconstructions or samples. Captions name these colours through
``NAMES`` so text and plots cannot drift apart.
"""

from __future__ import annotations

import numpy as np

from vae.data import columns

DATA = "#7D8797"  # slate grey
RECONSTRUCTION = "#2F80D1"  # blue
PRIOR_SAMPLES = "#12A37A"  # green
POINT = "#E0356E"  # crimson
PATH = "#E69F00"  # orange
TRUE_POSTERIOR = "#D55E00"  # vermillion: warm against the blue q(z|x) it is compared with
PRIMARY = "#6C4BD8"  # the theme's primary colour (.streamlit/config.toml): buttons, focus rings

NAMES = {
    "data": "grey",
    "reconstruction": "blue",
    "prior_samples": "green",
    "point": "crimson",
    "true_posterior": "vermillion",
}

# Labels (cluster, class, digit), in sorted label order on every page. Ten, for the digits.
LABEL_COLORS: tuple[str, ...] = (
    "#6C4BD8",  # purple (the theme's primary colour)
    "#C99A06",  # gold
    "#CC79A7",  # pink
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#8C6D31",  # brown
    "#9A9A2F",  # olive
    "#A05CC8",  # violet
    "#12A37A",  # green (shared with prior samples: only datasets with 9+ labels reach it)
    "#2F80D1",  # blue
)

# Curves that are not roles (loss terms, runs, model variants).
TRAIN_CURVE = "#2F80D1"
VAL_CURVE = "#E69F00"


def label_color(index: int) -> str:
    """Colour of the ``index``-th distinct label (cycles)."""
    return LABEL_COLORS[index % len(LABEL_COLORS)]


def label_groups(labels: np.ndarray | None) -> tuple[list[str], np.ndarray] | None:
    """Distinct labels in natural order (``vae.data.columns.label_groups``: 2 before 10; 0, not 0.0)
    and each row's index into them (``label_color(index)`` is its colour), or None unless there are
    2 to ``len(LABEL_COLORS)`` of them (then they are not coloured)."""
    if labels is None:
        return None
    names, inverse = columns.label_groups(labels)
    if not 1 < len(names) <= len(LABEL_COLORS):
        return None
    return names, inverse.astype(np.int64)
