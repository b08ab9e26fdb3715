"""Readable logarithmic axes for the loss charts.

Plotly labels a log axis that spans less than a decade or two with bare
leading digits ("100, 9, 8, 7, ... 2, 10, 9, 8"), which reads like nonsense on a
projector. These ticks are whole numbers from the 1-2-5 series (5, 10, 20,
50, 100), denser (1-9) only when the data span too little for two of them,
and only powers of ten when they span many decades.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

MANY_DECADES = 4


def _label(value: float) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:.3g}"


def log_axis(values: Iterable[float]) -> dict[str, Any]:
    """Plotly axis settings for a log axis over ``values`` (non-positive and non-finite ones are ignored)."""
    positive = [float(v) for v in values if v is not None and math.isfinite(v) and v > 0]
    if not positive:
        return {"type": "log"}
    lo, hi = min(positive), max(positive)
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for mantissas in ((1,), (1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        if mantissas == (1,) and last - first <= MANY_DECADES:
            continue
        ticks = [m * 10.0**e for e in range(first, last + 1) for m in mantissas]
        if sum(lo <= t <= hi for t in ticks) >= 2:
            return {"type": "log", "tickvals": ticks, "ticktext": [_label(t) for t in ticks]}
    return {"type": "log"}  # a sliver of one decade: Plotly's own ticks
