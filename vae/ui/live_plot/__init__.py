"""A plot that redraws in place: the Train page's loss curves, data panel and latent view.

A Streamlit custom component (``st.components.v2``: no iframe, no build step,
no network) drawing on one canvas. ``st.plotly_chart`` cannot do this:
Streamlit 1.67 derives a Plotly element's identity from its figure, so each
new figure mounts a new chart, blank (height 0) until Plotly has drawn it --
the loss charts were blank in 2 of 3 screenshots of a long run. A keyed
component keeps one DOM node; ``plot.js`` repaints its canvas in the next
animation frame and the element's height never changes.

    live_plot(train_views.loss_spec(curves, ...), key="tr_loss_plot", height=260)

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
    """Mount (first call) or update (later calls, same ``key``) a live plot.

    Args:
        spec: ``{"panels": [...], "legend": [[color, text], ...], "alt": text}``.
        key: stable per plot on the page: the same key is the same DOM node.
        height: canvas height in pixels (the element is this plus the legend, always).
    """
    _COMPONENT(key=key, data={**spec, "height": height}, height=height + LEGEND_PX)
