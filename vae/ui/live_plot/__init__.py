"""A plot that redraws in place: the Train page's loss curves, data panel and latent view.

A Streamlit custom component (``st.components.v2``: no iframe, no build step,
no network) drawing on one canvas. ``st.plotly_chart`` cannot do this:
Streamlit 1.67 derives a Plotly element's identity from its figure, so each
new figure mounts a new chart, blank (height 0) until Plotly has drawn it --
the loss charts were blank in 2 of 3 screenshots of a long run. A keyed
component keeps one DOM node; ``plot.js`` repaints its canvas in the next
animation frame and the element's height never changes.

The data is JSON (see ``vae.ui.train_views`` for the schema by example);
labels are drawn as text, never as HTML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vae.ui import components

_COMPONENT = components.register("live_plot", Path(__file__).parent, "plot", shared=("label_place.js",))
LEGEND_PX = 46  # the legend under the canvas: room for two lines (a half-width plot with labels wraps)


def live_plot(spec: dict[str, Any], *, key: str, height: int) -> None:
    """Mount (first call) or update (later calls, same ``key``: the same DOM node) a live plot of
    ``spec`` (``{"panels": [...], "legend": [[color, text], ...], "alt": text}``) on a canvas
    ``height`` pixels high (the element is this plus the legend, always)."""
    _COMPONENT(key=key, data={**spec, "height": height}, height=height + LEGEND_PX)
