"""Colours shared by every view of the data, so a point looks the same everywhere.

Roles (reconstruction, prior samples, the dragged point, paths) get one
mid-luminance colour each that reads on the light and the dark theme; labels
reuse the Data page's ``DATA_COLORS`` (vae/ui/data_view.py).
"""

from __future__ import annotations

from vae.ui.data_view import DATA_COLORS, POINT_COLOR

DATA = POINT_COLOR  # data points without labels (as on the Data page)
RECONSTRUCTION = "#E69F00"  # decoder(encoder(x)): orange
PRIOR_SAMPLES = "#009E73"  # decoder(z), z ~ N(0, I): green
POINT = "#E0356E"  # the dragged latent point and its decoded image: crimson
PATH = "#17A2B8"  # interpolation paths: teal

# Labels (cluster, class, digit) use the Data page's colours, in the same order
# (sorted label text), so a cluster has one colour on every page.
LABEL_COLORS: tuple[str, ...] = DATA_COLORS


def label_color(index: int) -> str:
    """Colour of the ``index``-th distinct label (cycles)."""
    return LABEL_COLORS[index % len(LABEL_COLORS)]
