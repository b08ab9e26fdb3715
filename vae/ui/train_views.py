"""What the Train page's live plots draw: loss curves, the data-space panel and the latent view.

Pure functions of plain data (NumPy weights, a dataset, ``vae.core.curves.Curves``)
returning the JSON that ``vae.ui.live_plot`` draws, so they are testable
without Streamlit and cheap enough to run several times a second: curves are
decimated to ~1,000 points, at most ``MAX_POINTS`` data points are encoded,
and numbers are rounded to what a few hundred pixels can show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from vae.core import decode, explore, losses
from vae.core.curves import Curves
from vae.core.decode import NetworkWeights
from vae.data import views
from vae.data.dataset import Dataset
from vae.ui import palette
from vae.ui.data_view import PointSet

LOSS_HEIGHT = 260
VIEW_HEIGHT = 330
MAX_POINTS = 600  # data points drawn in the panel and the latent view (encoded on every update)
N_SAMPLES = 300  # prior samples decoded for the panel
MAX_MARKS = 12  # setting changes marked on the loss charts (the latest ones)
SIGMAS = (1, 2)  # prior circles on the latent view
TERMS = (("loss", "Total loss"), ("recon", "Reconstruction"), ("kl", "KL"))


def rounded(values: np.ndarray, digits: int = 5) -> list[float | None]:
    """``values`` to ``digits`` significant digits, as JSON numbers (NaN and inf become None)."""
    values = np.asarray(values, np.float64)
    finite = np.isfinite(values)
    safe = np.where(finite & (values != 0), np.abs(values), 1.0)
    scale = 10.0 ** (digits - 1 - np.floor(np.log10(safe)))
    out = np.round(values * scale) / scale
    return [float(v) if ok else None for v, ok in zip(out.tolist(), finite.tolist(), strict=True)]


def loss_spec(
    curves: Curves,
    *,
    log_y: bool,
    total_epochs: int | None,
    warmup_epochs: int = 0,
    marker_epoch: int | None = None,
) -> dict[str, Any]:
    """Three panels (total, reconstruction, KL) of train and validation losses against epoch.

    ``log_y``: logarithmic loss axes (non-positive values are not drawn). ``total_epochs``: the
    budget while training (None: fit the x axis to the last epoch); the x axis then ends at the next
    power of two past the last epoch (at most the budget), so it rescales a handful of times in a
    run, not at every epoch, and the early epochs of a long budget stay readable. Beta changes
    during the KL warm-up (``warmup_epochs``) are the schedule, not the user: unmarked.
    ``marker_epoch``: the timeline's position.
    """
    last = int(curves.epochs[-1]) if curves.n else 1
    x_end = last
    if total_epochs:
        x_end = min(total_epochs, 2 ** math.ceil(math.log2(max(last * 1.1, 16))))
    x_range = [1, max(x_end, last, 2)]
    marks = [(epoch, f"lr {value:g}") for epoch, value in curves.changes("learning_rate")] + [
        (epoch, f"β {value:g}") for epoch, value in curves.changes("beta") if epoch > warmup_epochs + 1
    ]
    vlines = [
        {"x": epoch, "color": palette.PATH, "dash": True, "width": 1, "label": label}
        for epoch, label in sorted(marks)[-MAX_MARKS:]
    ]
    if marker_epoch is not None:
        vlines.append(
            {"x": marker_epoch, "color": palette.POINT, "width": 2, "label": f"epoch {marker_epoch}"}
        )
    panels = []
    for key, title in TERMS:
        lines = []
        for prefix, color in (("", palette.TRAIN_CURVE), ("val_", palette.VAL_CURVE)):
            if curves.has(prefix + key):
                x, y = curves.decimated(prefix + key)
                lines.append({"color": color, "width": 2, "x": x.tolist(), "y": rounded(y)})
        panels.append(
            {
                "title": title,
                "x": {"label": "epoch", "range": x_range, "integer": True},
                "y": {"label": "nats per point" if key == "loss" else "", "log": log_y},
                "lines": lines,
                "vlines": vlines,
            }
        )
    legend = [[palette.TRAIN_CURVE, "train"]]
    if curves.has("val_loss"):
        legend.append([palette.VAL_CURVE, "validation"])
    return {"panels": panels, "legend": legend, "alt": "Loss curves: total, reconstruction and KL by epoch"}


@dataclass(frozen=True)
class ViewData:
    """What the data panel and the latent view draw of a dataset, prepared once per dataset.

    Attributes:
        x_std: the rows drawn (a fixed subset), standardized (what the encoder sees).
        values: those rows in original units.
        groups: for labelled data, ``(label names, group index per drawn row)``; else None.
        z_prior: prior samples decoded in the panel (fixed, so frames are comparable).
        limits: the panel's fixed axis ranges (the data plus a margin), in the panel's plane.
        projection: the panel's plane: two columns, or a PCA plane for more than 2 columns
            (fitted on the data once, so it stays put while the model moves).
    """

    x_std: np.ndarray
    values: np.ndarray
    groups: tuple[list[str], np.ndarray] | None
    z_prior: np.ndarray | None
    limits: list[list[float]]  # [[x low, x high], [y low, y high]]
    projection: views.Projection

    @classmethod
    def of(cls, dataset: Dataset, latent_dim: int | None, choice: views.ViewChoice | None = None) -> ViewData:
        rows = explore.display_subset(dataset.n_rows, MAX_POINTS)
        groups = palette.label_groups(dataset.labels)
        rng = np.random.default_rng(0)
        z_prior = rng.standard_normal((N_SAMPLES, latent_dim)).astype(np.float32) if latent_dim else None
        drawn = dataset.values[rows]
        if choice is None or choice.kind == "matrix":  # one panel here: the matrix is the Data page's
            choice = views.ViewChoice()
        projection = views.project(drawn, dataset.columns, choice)
        plane = projection.apply(drawn)
        low, high = plane.min(axis=0), plane.max(axis=0)
        pad = 0.25 * np.maximum(high - low, 1e-9)
        return cls(
            x_std=dataset.standardizer.transform(drawn).astype(np.float32),
            values=drawn,
            groups=None if groups is None else (groups[0], groups[1][rows]),
            z_prior=z_prior,
            limits=np.stack([low - pad, high + pad], axis=1).tolist(),
            projection=projection,
        )


def _points(x: np.ndarray, y: np.ndarray, color: str, size: float, opacity: float) -> dict[str, Any]:
    return {"color": color, "size": size, "opacity": opacity, "x": rounded(x, 4), "y": rounded(y, 4)}


def panel_sets(dataset: Dataset, view: ViewData, weights: NetworkWeights | None) -> list[PointSet]:
    """The data (grey), their reconstructions (blue) and prior samples (green), in original units.

    Without finite weights, only the data.
    """
    sets = [PointSet(view.values, "data", palette.DATA, 5, 0.35)]
    if weights is not None and weights.is_finite() and view.z_prior is not None:
        recon = dataset.standardizer.inverse_transform(decode.reconstruct(weights, view.x_std))
        samples = dataset.standardizer.inverse_transform(decode.decode(weights, view.z_prior))
        sets += [
            PointSet(recon, "reconstructions", palette.RECONSTRUCTION, 4, 0.7),
            PointSet(samples, "samples from the prior", palette.PRIOR_SAMPLES, 4, 0.6),
        ]
    return sets


def panel_spec(dataset: Dataset, view: ViewData, weights: NetworkWeights | None) -> dict[str, Any]:
    """The data (grey), their reconstructions (blue) and prior samples (green) in the view's plane."""
    sets = panel_sets(dataset, view, weights)
    points = [_points(*view.projection.apply(s.values).T, s.color, s.size, s.opacity) for s in sets]
    legend = [[s.color, s.name] for s in sets]
    (x_title, y_title), (x_range, y_range) = view.projection.titles, view.limits
    panel = {
        "title": "Data space",
        "x": {"label": x_title, "range": x_range},
        "y": {"label": y_title, "range": y_range},
        "points": points,
    }
    return {"panels": [panel], "legend": legend, "alt": "Data, reconstructions and prior samples"}


def latent_limit(means: np.ndarray) -> float:
    """Half-width of the latent view: at least 3 (the prior's 3 sigma), more if the codes spread wider."""
    if means.size == 0:
        return 3.0
    reach = float(np.nanpercentile(np.abs(means), 99)) * 1.1
    return max(3.0, math.ceil(reach * 2) / 2) if math.isfinite(reach) else 3.0


def latent_spec(
    view: ViewData, weights: NetworkWeights | None, dims: tuple[int, int] = (0, 1), spread: bool = False
) -> dict[str, Any]:
    """The drawn rows encoded to E[z|x] in latent dimensions ``dims`` (0-based), the prior's 1- and
    2-sigma circles (alone without finite ``weights``) and, with ``spread``, each posterior as an
    ellipse of one standard deviation."""
    i, j = dims
    if weights is None or not weights.is_finite():
        means = log_vars = np.zeros((0, max(dims) + 1), np.float32)
    else:
        means, log_vars = decode.encode(weights, view.x_std)
    limit = latent_limit(means[:, [i, j]])
    points, ellipses, legend = [], [], []
    groups = [("data", np.arange(len(means)), palette.DATA)]
    if view.groups is not None and len(means):
        names, index = view.groups
        groups = [
            (f"label {name}", np.flatnonzero(index == k), palette.label_color(k))
            for k, name in enumerate(names)
        ]
    for name, members, color in groups:
        if not len(members):
            continue
        points.append(_points(means[members, i], means[members, j], color, 5, 0.75))
        legend.append([color, name])
        if spread:
            sigma = losses.posterior_std(log_vars[members])
            ellipses.append(
                {
                    "color": color,
                    "opacity": 0.08,
                    "cx": rounded(means[members, i], 4),
                    "cy": rounded(means[members, j], 4),
                    "rx": rounded(sigma[:, i], 3),
                    "ry": rounded(sigma[:, j], 3),
                }
            )
    circles = [{"r": k, "color": palette.PRIOR_SAMPLES, "dash": True, "label": f"{k}σ"} for k in SIGMAS]
    legend.append([palette.PRIOR_SAMPLES, "prior N(0, I): 1σ and 2σ"])
    panel = {
        "title": f"Latent space: E[z|x], z{i + 1} vs z{j + 1}",
        "x": {"label": f"z{i + 1}", "range": [-limit, limit]},
        "y": {"label": f"z{j + 1}", "range": [-limit, limit]},
        "square": True,
        "points": points,
        "ellipses": ellipses,
        "circles": circles,
    }
    return {
        "panels": [panel],
        "legend": legend,
        "alt": f"Latent codes of the data, dimensions z{i + 1} and z{j + 1}",
    }
