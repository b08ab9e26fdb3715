"""The drawing canvas: click and drag to add 2-D points of a chosen class with a brush, or erase them.

A custom component (``vae.ui.components``) whose JS keeps the point list on its DOM node and
reports it on pointer release as the state value ``points`` (each ``[x, y, class]``); Python keeps
its own copy in session state (``vae.ui.state``) so the drawing survives page switches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import streamlit as st

from vae.ui import components, palette

RANGE = 5.0  # the canvas shows [-RANGE, RANGE] on both axes
MAX_POINTS = 20_000  # enough for any drawing; keeps the state message small
CLASSES = 4  # colours to draw with: two moons need 2; more reads as a mess on a small canvas
CLASS_NAMES = ("purple", "gold", "pink", "sky blue")  # the first CLASSES of palette.LABEL_COLORS

_component = components.register("latent_lab_draw_canvas", Path(__file__).parent, "canvas")


def draw_canvas(
    *,
    key: str,
    points: list[list[float]],
    token: int,
    mode: str = "draw",
    cls: int = 0,
    size: int = 20,
    density: int = 5,
    on_change: Callable[[], None] | None = None,
) -> None:
    """Mount the canvas; ``points_from_state(key)`` reads the drawing after each stroke (``on_change``).

    Args:
        points: the drawing to show on first mount and whenever ``token`` changes (bump it to
            replace the canvas's points, as Clear does).
        mode: "draw" or "erase".
        cls: the class new points get (0 to ``CLASSES - 1``), drawn in ``palette.label_color(cls)``.
        size: brush radius in screen pixels; ``density``: points added per brush dab.
    """
    data = {
        "points": points,
        "token": token,
        "mode": mode,
        "cls": int(cls),
        "colors": [palette.label_color(k) for k in range(CLASSES)],
        "size": int(size),
        "density": int(density),
        "range": RANGE,
        "max_points": MAX_POINTS,
    }
    _component(key=key, data=data, default={"points": points}, on_points_change=on_change or (lambda: None))


def points_from_state(key: str) -> list[list[float]] | None:
    """The canvas's latest points ``[x, y, class]`` from session state, or None if it has not reported any."""
    value = st.session_state.get(key)
    points = value.get("points") if isinstance(value, Mapping) else None
    if points is None:
        return None
    return [[float(p[0]), float(p[1]), int(p[2]) if len(p) > 2 else 0] for p in points]
