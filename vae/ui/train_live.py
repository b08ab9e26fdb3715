"""The Train page's live view: loss curves, the data-space panel and the latent view, drawn in place.

Called from the page's polling fragment several times a second. What makes
it never blink (measured by tests/e2e/test_live_view.py):

- every plot is a keyed ``vae.ui.live_plot`` (one DOM node for the page's
  life, repainted in place; ``st.plotly_chart`` remounts on every new figure);
- every part sits in a keyed container, so parts that come and go above it
  (a success message when the run ends) never shift its position in the tree,
  which would remount it too;
- Streamlit dims an element it is about to replace (``data-stale``, opacity
  0.33 after 0.5 s) while a fragment run is under way; on a busy machine a
  run sometimes takes that long, and a live view polled 4 times a second
  would flicker. Its parts are replaced in place, never removed, so the dim
  says nothing here: ``STEADY_CSS`` keeps them at full opacity;
- one update costs the same at any epoch: the history is read incrementally
  (``vae.core.curves.Curves``), curves are decimated to ~1,000 points, and a fixed
  subset of at most 600 rows is encoded (p95 server time in BENCHMARKS.md), so
  the fragment finishes long before Streamlit's stale-element fade (0.5 s).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from vae.core.curves import Curves
from vae.core.decode import NetworkWeights
from vae.data.dataset import Dataset
from vae.data.views import ViewChoice
from vae.runs.run import Run
from vae.ui import data_view, palette, preview, state, train_views, training
from vae.ui.live_plot import live_plot

LATENT_X, LATENT_Y, SPREAD = "tr_latent_x", "tr_latent_y", "tr_latent_spread"
SPEED = "tr_speed"
# Watching speeds: full speed, or slow motion to watch the latent space form epoch by epoch.
SPEEDS: dict[str, float | None] = {
    "Full speed": None,
    "20 epochs/s": 20.0,
    "5 epochs/s": 5.0,
    "1 epoch/s": 1.0,
}
LIVE_KEY = "train_live"  # the container holding every live part (status, charts, views)

# Streamlit's frontend styles a stale element container (data-stale="true") with opacity 0.33 and
# a 1 s transition after 0.5 s; within the live view, an update always follows.
STEADY_CSS = f"""<style>
.st-key-{LIVE_KEY} [data-stale="true"] {{ opacity: 1 !important; transition: none !important; }}
</style>"""


def keep_steady() -> None:
    """Add the style that keeps the live view at full opacity (a style block only: no space)."""
    st.html(STEADY_CSS)


@dataclass
class Cache:
    """Per-session state of the live view: the current run's curves, the drawn rows, the plots."""

    run_id: int = 0
    curves: Curves = field(default_factory=Curves)
    view: train_views.ViewData | None = None
    matrix_at: tuple[int, NetworkWeights | None] | None = None  # the epoch the still matrix shows
    built: dict[str, tuple] = field(default_factory=dict)

    def get(self, name: str, build: Callable[[], Any], objects: tuple, settings: tuple = ()) -> Any:
        """``build()``, built again only when one of the ``objects`` (the same ones, not equal ones:
        kept here, so no other object takes their ids) or ``settings`` changed. A poll or a click
        with nothing new (paused) draws the same plots without encoding the rows again."""
        key = (*map(id, objects), *settings)
        if self.built.get(name, (None,))[0] != key:
            self.built[name] = (key, build(), objects)
        return self.built[name][1]


def _cache(run: Run | None, dataset: Dataset, choice: ViewChoice | None = None) -> Cache:
    cache = st.session_state.get(state.TRAIN_VIEWS)
    if not isinstance(cache, Cache):
        cache = st.session_state[state.TRAIN_VIEWS] = Cache()
    if cache.run_id != id(run):
        cache.run_id, cache.curves, cache.matrix_at = id(run), Curves(), None
    latent_dim = run.model_config.latent_dim if run is not None else None
    build = lambda: train_views.ViewData.of(dataset, latent_dim, choice)
    cache.view = cache.get("view", build, (dataset,), (latent_dim, choice))
    if run is not None:
        cache.curves.update(run.history)
    return cache


def watch_speed() -> None:
    """The "Watch speed" control, which slows the running job down (or back to full speed).

    Without a value of its own (widgets forget it when the user leaves the page) it shows the job's.
    """
    current, since = training.speed()  # since: the first epoch trained at ``current``
    st.session_state.setdefault(
        SPEED, next((name for name, v in SPEEDS.items() if v == current), "Full speed")
    )
    with st.container(key="train_speed"):
        choice = st.segmented_control(
            "Watch speed",
            list(SPEEDS),
            key=SPEED,
            help="Slow training down to watch the latent space form step by step; back to full speed any time.",
        )
        chosen = SPEEDS.get(choice or "Full speed")
        if chosen is not None and chosen == current and since is not None:
            # Epochs trained before the change but not drawn yet (up to a poll's worth, ~100 at full
            # speed on 200 rows) and the compiled call running when it arrived (~20 more) show at
            # once after the click: say where the slow pace begins.
            st.caption(f"{choice} from epoch {since:,} on.")
    training.apply_speed(chosen)


def latent_dims(latent_dim: int) -> tuple[int, int]:
    """Which two latent dimensions to show: the user's pick for a latent size above 2 (else z1, z2)."""
    if latent_dim <= 2:
        return 0, 1
    options = list(range(latent_dim))
    name = lambda d: f"z{d + 1}"
    with st.container(key="train_latent_dims", horizontal=True):
        first = st.selectbox("Horizontal", options, index=0, format_func=name, key=LATENT_X)
        second = st.selectbox("Vertical", options, index=1, format_func=name, key=LATENT_Y)
    if first == second:
        second = (first + 1) % latent_dim
    st.caption(f"Showing {name(first)} and {name(second)} of {latent_dim} latent dimensions.")
    return first, second


def render(
    dataset: Dataset,
    run: Run | None,
    *,
    log_y: bool,
    views: bool = True,
    replay: tuple[int, NetworkWeights] | None = None,
) -> None:
    """Draw the loss curves of ``run`` (None before the first Start), and with ``views`` (the model
    fits the data) the data panel and the latent view.

    ``replay``: ``(epoch, weights)`` from the epoch timeline: draw the model as it was then (and
    mark that epoch on the loss curves); None shows the latest weights.
    """
    # The preview's view (kept in the session; its picker's callbacks ran before this rerun).
    choice = state.get_preview_view() if dataset.n_dims > 2 else None
    cache = _cache(run, dataset, choice)
    marker, weights = replay if replay is not None else (None, run.weights if run is not None else None)
    # A fixed axis while it trains, then fit.
    total = run.end_epoch if run is not None and run.is_active else None
    warmup = run.train_config.kl_warmup_epochs if run is not None else 0
    curves, view = cache.curves, cache.view
    with st.container(key="train_charts"):
        loss = lambda: train_views.loss_spec(
            curves, log_y=log_y, total_epochs=total, warmup_epochs=warmup, marker_epoch=marker
        )
        spec = cache.get("loss", loss, (curves,), (curves.n, log_y, total, warmup, marker))
        live_plot(spec, key="tr_loss_plot", height=train_views.LOSS_HEIGHT)
    if not views:
        return
    st.caption(
        f"Data ({palette.NAMES['data']}), their reconstructions ({palette.NAMES['reconstruction']}) and "
        f"samples from the prior ({palette.NAMES['prior_samples']}) in the data's original units; beside "
        "them, where the encoder puts the data in the latent space."
    )
    with st.container(key="train_views"):
        left, right = st.columns(2, gap="medium")
        with left, st.container(key="train_panel"):
            picked = preview.view_picker(dataset.columns, "tr_panel_view")
            matrix = dataset.n_dims > 2 and picked.kind == "matrix"
            if matrix:  # too many panels for half the width: drawn below, across the page
                st.caption("The scatter matrix is below, a still picture; the latent view beside stays live.")
            else:
                if view.projection.caption:
                    st.caption(view.projection.caption)
                spec = cache.get(
                    "panel", lambda: train_views.panel_spec(dataset, view, weights), (dataset, view, weights)
                )
                live_plot(spec, key="tr_panel_plot", height=train_views.VIEW_HEIGHT)
        with right, st.container(key="train_latent"):
            latent_dim = run.model_config.latent_dim if run is not None else 2
            dims, spread = latent_dims(latent_dim), bool(st.session_state.get(SPREAD))
            latent = lambda: train_views.latent_spec(view, weights, dims, spread=spread)
            spec = cache.get("latent", latent, (view, weights), (dims, spread))
            live_plot(spec, key="tr_latent_plot", height=train_views.VIEW_HEIGHT)
            st.toggle(
                "Posterior spread",
                key=SPREAD,
                help="Draw each point's posterior q(z|x) as an ellipse of one standard deviation.",
            )
    if matrix:
        with st.container(key="train_matrix"):
            _matrix_still(dataset, run, cache, picked, replay)


def _matrix_still(
    dataset: Dataset,
    run: Run | None,
    cache: Cache,
    choice: ViewChoice,
    replay: tuple[int, NetworkWeights] | None,
) -> None:
    """The scatter matrix of the data and the model's points at one epoch, a still picture.

    Up to 15 panels cannot be redrawn 4 times a second without blinking (a Plotly figure
    remounts when it changes; the live canvas draws one panel): while the run trains, the
    matrix keeps the epoch it was drawn at until the user redraws it; paused, finished or
    replayed, it shows the epoch in view.
    """
    if replay is not None:
        shown: tuple[int, NetworkWeights | None] = replay
    elif run is not None and len(run.snapshots):
        shown = run.snapshots.weights_at(run.epochs_done)  # the newest weights and their epoch
    else:
        shown = (0, None)
    stale = cache.matrix_at is None or cache.matrix_at[1] is None  # nothing drawn of the model yet
    if stale or replay is not None or run is None or run.status != "training":
        cache.matrix_at = shown
    epoch, weights = cache.matrix_at

    def build() -> tuple[Any, str]:
        sets = train_views.panel_sets(dataset, cache.view, weights)
        figure, caption = data_view.points_figure(sets, dataset.columns, choice, legend_title="")
        figure.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0})
        return figure, caption

    figure, caption = cache.get("matrix", build, (dataset, cache.view, weights), (choice, epoch))
    when = f"at epoch {epoch:,}" if weights is not None else "before training (data only)"
    st.caption(
        f"{caption} A still picture {when}: the matrix does not move while training "
        "(the PCA and two-column views do)."
    )
    if run is not None and run.status == "training" and replay is None:
        st.button(
            "Redraw at the newest epoch",
            key="tr_matrix_redraw",
            on_click=lambda: setattr(cache, "matrix_at", None),
            help="Draw the matrix again with the newest weights (it stays still while training).",
        )
    st.plotly_chart(figure, key="tr_panel_matrix")
