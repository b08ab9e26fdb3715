"""The latent pad: a draggable point on the 2-D latent plane, decoded live in the browser.

A Streamlit custom component (``st.components.v2``: no iframe, no build step,
no network). Python sends the decoder's weights, the standardizer, the encoded
data and what to draw; ``pad.js`` decodes on every pointer move and draws the
latent plane and the data view. On release it sends the point back, so the
page can print exact readouts (``vae.core.explore.readout``).

Several pads can share a page: give each its own ``key``. To move a pad's
point from Python (a cursor shared between pads), pass ``z``: the pad jumps
there whenever that value changes and otherwise keeps the user's position.

    state = latent_pad(run.weights, dataset, key="explore_pad")
    state.z  # (z1, z2) where the user released the point
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import streamlit as st

from vae.core import explore
from vae.core.decode import NetworkWeights, encode
from vae.core.exact import PosteriorGrid
from vae.data.dataset import Dataset
from vae.ui import components, palette, state
from vae.ui.latent_pad import layers as pad_layers

_COMPONENT = components.register("latent_pad", Path(__file__).parent, "pad", shared=("label_place.js",))

MAX_POINTS = 2000  # data points sent to the browser; more only slows the first draw
IMAGE_SHAPES = {64: (8, 8)}  # columns -> image (rows, cols): the digits dataset
PadMode = Literal["drag", "interpolate"]
HINTS = {  # under the latent plane: what the mouse and keys do in each mode
    "drag": "Drag the point, or click the plane to move it · arrow keys (Shift = big steps) · "
    "click a dot for its posterior · Esc clears",
    "interpolate": "Click the plane twice: A, then B; the straight path between them is decoded · "
    "a third click starts a new path · Esc clears",
}


@dataclass(frozen=True)
class PadState:
    """What the user did on a pad."""

    z: tuple[float, float]  # where the point was released, clamped to the pad
    selected: int | None  # the dataset row whose posterior is shown
    path: tuple[tuple[float, float], tuple[float, float]] | None  # interpolation end points A and B
    limit: float  # the pad shows [-limit, limit]^2


def _floats(values: np.ndarray, decimals: int) -> list:
    return np.round(np.asarray(values, np.float64), decimals).tolist()


def view_kind(n_dims: int) -> Literal["scatter", "image", "bars"]:
    """How the data view shows decoded points: a 2-D scatter, an image (digits) or bars."""
    if n_dims == 2:
        return "scatter"
    return "image" if n_dims in IMAGE_SHAPES else "bars"


def pad_payload(
    weights: NetworkWeights,
    dataset: Dataset,
    *,
    key: str,
    z: Sequence[float] | None = None,
    mode: PadMode = "drag",
    samples: tuple[np.ndarray, np.ndarray] | None = None,
    variational: bool = True,
    layers: Mapping[str, bool] | None = None,
    offer_truth: bool = False,
    truth: tuple[int, PosteriorGrid] | None = None,
) -> dict[str, Any]:
    """The JSON the component receives (plain lists only; see pad.js); the arguments are ``latent_pad``'s.

    ``layers`` are the user's layer choices (``vae.ui.latent_pad.layers``); missing ones keep their default.
    ``key`` is echoed for tests and timings.
    """
    rows = explore.display_subset(dataset.n_rows, MAX_POINTS)
    means, log_vars = encode(weights, dataset.standardized()[rows])
    scale = dataset.standardizer.scale
    decimals = int(min(12, max(3, 5 - math.floor(math.log10(float(np.median(scale)))))))
    kind = view_kind(dataset.n_dims)

    groups = palette.label_groups(dataset.labels)  # as the Data page colours them
    names, inverse = groups if groups is not None else ([], None)
    colors = [palette.label_color(i) for i in range(len(names))]
    legend = [[color, f"label {name}"] for color, name in zip(colors, names, strict=True)]
    legend = legend or [[palette.DATA, "data"]]
    legend.append([palette.POINT, "decoded point"])  # the other colours are on the layer toggles
    has = pad_layers.features(
        kind=kind, variational=variational, samples=samples is not None, truth=offer_truth
    )

    lo, hi = dataset.values.min(axis=0), dataset.values.max(axis=0)
    pad = 0.08 * np.where(hi > lo, hi - lo, 1.0)
    view_box = [lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]]
    titles = {
        "scatter": "Data space (original units)",
        "image": "Decoded image",
        "bars": "Decoded values (bar = distance from the column mean)",
    }
    return {
        "key": key,
        "z": None if z is None else [float(v) for v in z],
        "limit": explore.pad_limit(means),
        "mode": mode,
        "hint": HINTS[mode],
        "layers": pad_layers.layer_payload(has, layers or {}),
        "show_view": True,  # the data view beside the latent plane (pad.js can draw the plane alone)
        "kind": kind,
        "view_title": titles[kind],
        "image_shape": list(IMAGE_SHAPES.get(dataset.n_dims, ())) or None,
        "decoder": {
            "activation": weights.activation,
            "layers": [
                {"W": np.asarray(w, np.float64).tolist(), "b": np.asarray(b, np.float64).tolist()}
                for w, b in [*weights.decoder, weights.x_mean]
            ],
        },
        "offset": dataset.standardizer.offset.tolist(),
        "scale": scale.tolist(),
        "columns": list(dataset.columns),
        "rows": rows.tolist(),
        "means": _floats(means, 5),
        "logvars": _floats(log_vars, 5) if variational else None,
        "labels": None if inverse is None else inverse[rows].tolist(),
        "colors": colors,
        "x": _floats(dataset.values[rows], decimals) if kind != "bars" else None,
        "x_min": lo.tolist(),
        "x_max": hi.tolist(),
        "x_mean": dataset.values.mean(axis=0).tolist(),
        "view_box": [float(v) for v in view_box],
        "samples": None
        if samples is None
        else {"z": _floats(samples[0], 5), "x": _floats(samples[1], decimals)},
        "true_posterior": None if truth is None else truth_payload(*truth),
        "palette": {
            "data": palette.DATA,
            "reconstruction": palette.RECONSTRUCTION,
            "prior_samples": palette.PRIOR_SAMPLES,
            "point": palette.POINT,
            "path": palette.PATH,
        },
        "legend": legend,
    }


def truth_payload(row: int, grid: PosteriorGrid) -> dict[str, Any]:
    """A true posterior for pad.js: its grid's corner nodes and its density scaled to a peak of 1.

    ``density`` is row-major with z2 increasing (row 0 is the lowest z2), 3 decimals.
    """
    peak = float(grid.density.max())
    return {
        "row": int(row),
        "steps": len(grid.z1),
        "z1": [float(grid.z1[0]), float(grid.z1[-1])],
        "z2": [float(grid.z2[0]), float(grid.z2[-1])],
        "density": _floats(grid.density.ravel() / peak if peak > 0 else grid.density.ravel(), 3),
        "color": palette.TRUE_POSTERIOR,
    }


def selected_row(key: str, n_rows: int) -> int | None:
    """The dataset row selected on the pad ``key`` when it last reported (before it is mounted again)."""
    value = st.session_state.get(key)
    return _row(value.get("selected") if isinstance(value, Mapping) else None, n_rows)


def _row(selected: Any, n_rows: int) -> int | None:
    return int(selected) if isinstance(selected, int) and 0 <= selected < n_rows else None


def _remember_layers(key: str) -> None:
    """Keep a toggle for the session (every pad shows the user's latest choice)."""
    value = st.session_state.get(key, {})
    state.set_pad_layers(
        pad_layers.clean_choices(value.get("layers") if isinstance(value, Mapping) else None)
    )


def _as_pair(value: Any) -> tuple[float, float] | None:
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (a, b) if math.isfinite(a) and math.isfinite(b) else None


def latent_pad(
    weights: NetworkWeights,
    dataset: Dataset,
    *,
    key: str,
    z: Sequence[float] | None = None,
    mode: PadMode = "drag",
    samples: tuple[np.ndarray, np.ndarray] | None = None,
    variational: bool = True,
    offer_truth: bool = False,
    truth: tuple[int, PosteriorGrid] | None = None,
    on_change: Callable[[], None] | None = None,
) -> PadState:
    """Mount a latent pad and return what the user did with it.

    Args:
        weights: finite weights with ``latent_dim == 2`` (check with
            ``vae.core.explore.refuse_reason`` first).
        dataset: the training data, original units.
        key: unique per pad on the page; the state is kept under it.
        z: move the point here whenever this value changes (shared cursors); else it starts at 0.
        mode: ``"drag"``, or ``"interpolate"`` where clicks set A and B.
        samples: prior samples to draw, ``(z, x)`` from ``vae.core.explore.prior_samples_original``.
        variational: show posterior ellipses for a clicked point.
        offer_truth: offer the "true posterior" layer toggle.
        truth: ``(dataset row, its true posterior from vae.core.exact)`` to draw while that row is selected.
        on_change: called (before the rerun) when the point, selection or path changes.
    """
    # A state key exists only with an on_<key>_change callback; without one the page reads the result.
    callback = on_change or (lambda: None)
    data = pad_payload(
        weights,
        dataset,
        key=key,
        z=z,
        mode=mode,
        samples=samples,
        variational=variational,
        layers=state.pad_layers(),
        offer_truth=offer_truth,
        truth=truth,
    )
    result = _COMPONENT(
        key=key,
        data=data,
        default={"z": [0.0, 0.0], "selected": None, "path": None, "layers": None},
        on_z_change=callback,
        on_selected_change=callback,
        on_path_change=callback,
        on_layers_change=functools.partial(_remember_layers, key),
    )
    pair = _as_pair(result.get("z")) or (0.0, 0.0)
    path = result.get("path")
    ends = (_as_pair(path[0]), _as_pair(path[1])) if isinstance(path, list) and len(path) == 2 else None
    return PadState(
        z=pair,
        selected=_row(result.get("selected"), dataset.n_rows),
        path=ends if ends and ends[0] and ends[1] else None,
        limit=data["limit"],
    )
