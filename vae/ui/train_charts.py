"""The Train page's progress label: epoch, speed and time left.

(The charts themselves are ``vae.ui.train_views`` specs drawn by ``vae.ui.live_plot``.)
"""

from __future__ import annotations

import math


def progress(
    epochs_done: int, total_epochs: int | None, epochs_per_s: float, eta: bool = True
) -> tuple[float, str]:
    """Fraction done and a label: "Epoch 12 / 60 · 14.2 epochs/s · ETA 3 s" (ETA only if ``eta``).

    With ``total_epochs=None`` (train until paused) the bar fills once per
    power of ten of epochs and the label says "until you pause".
    """
    if total_epochs is None:
        lap = 10 ** max(1, math.ceil(math.log10(max(epochs_done, 1) + 1)))
        fraction = min(epochs_done / lap, 1.0)
        parts = [f"Epoch {epochs_done} (until you pause)"]
    else:
        fraction = min(max(epochs_done / max(total_epochs, 1), 0.0), 1.0)
        parts = [f"Epoch {epochs_done} / {total_epochs}"]
    if math.isfinite(epochs_per_s) and epochs_per_s > 0:
        parts.append(f"{epochs_per_s:.1f} epochs/s")
        if eta and total_epochs is not None:
            parts.append(f"ETA {_duration(max(total_epochs - epochs_done, 0) / epochs_per_s)}")
    return fraction, " · ".join(parts)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"
