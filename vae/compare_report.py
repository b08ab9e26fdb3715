"""The Compare page's scores in plain words: one declaration per metric, the table, a verdict per model.

Each metric is one ``Metric``: its column (the technical name, kept in the CSV),
a plain name, a one-line meaning that says which way is better, what an empty
value means for a model it does not apply to, and how to read it from an
``Entry``. The wide table (``metrics_frame``, one row per model, for the CSV),
the readable table (``readable_table``, one row per metric, for the page) and
the verdicts all come from that one list: adding a metric is adding an entry.

Pure pandas; no Streamlit, no TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from vae.compare import Entry
from vae.core.compare_metrics import EXACT_ROWS
from vae.core.exact import IWAE_K
from vae.data import spreadsheet

NO_LIKELIHOOD = "no likelihood: not a probabilistic model"
NO_POSTERIOR = "no posterior: this model's code is one point, not a distribution"


@dataclass(frozen=True)
class Metric:
    """One score of the comparison.

    Attributes:
        column: the technical name, used as the CSV's column heading.
        plain: what the page calls it.
        meaning: one line: what it tells you, and which way is better.
        better: ``"lower"`` or ``"higher"`` when one way is better; None when neither is.
        value: reads it from a scored ``Entry`` (NaN where it does not apply).
        missing: what an empty value means (shown instead of a blank).
        integer: shown without decimals.
        hide_when_empty: leave the row out when no model has a value (the exact log p(x)
            with a latent above 2-D: "no likelihood" would be wrong for its VAEs).
    """

    column: str
    plain: str
    meaning: str
    better: Literal["lower", "higher"] | None
    value: Callable[[Entry], float]
    missing: str = "does not apply to this model"
    integer: bool = False
    hide_when_empty: bool = False


MODEL_COLUMN = "Model"
METRICS: tuple[Metric, ...] = (
    Metric(
        "Recon MSE",
        "Reconstruction error",
        "How far each held-out point's reconstruction lands from it, in your data's units²; lower is better.",
        "lower",
        lambda e: e.metrics.recon_mse,
    ),
    Metric(
        "Recon MSE (std)",
        "Reconstruction error, columns scaled alike",
        "The same with every column scaled to standard deviation 1, so no column dominates; lower is better.",
        "lower",
        lambda e: e.metrics.recon_mse_std,
    ),
    Metric(
        "KL (nats)",
        "Information in the code (KL)",
        "How much a point's code says beyond the prior N(0, I), in nats; near 0 means the code is ignored "
        "(posterior collapse).",
        None,
        lambda e: e.metrics.kl,
        NO_POSTERIOR,
    ),
    Metric(
        "ELBO (nats)",
        "Likelihood of real data (ELBO)",
        "How probable the model finds held-out data: a lower bound on log p(x), in nats per point; higher is better.",
        "higher",
        lambda e: e.metrics.elbo,
        NO_LIKELIHOOD,
    ),
    Metric(
        f"IWAE K={IWAE_K} (nats)",
        f"Likelihood of real data, tighter (IWAE, {IWAE_K} samples)",
        f"The same bound made tighter with {IWAE_K} samples of z: the fairer way to rank VAEs; higher is better.",
        "higher",
        lambda e: e.metrics.iwae,
        NO_LIKELIHOOD,
    ),
    Metric(
        "Exact log p(x) (nats)",
        "Likelihood of real data, exact (log p(x))",
        f"What the ELBO and IWAE bound from below, computed on a grid over the 2-D latent plane "
        f"(up to {EXACT_ROWS} points): the honest ranking of VAEs; higher is better.",
        "higher",
        lambda e: e.metrics.exact_log_px,
        NO_LIKELIHOOD,
        hide_when_empty=True,
    ),
    Metric(
        "Energy distance",
        "Generated vs real (energy distance)",
        "How close generated points decoder(z), z ~ N(0, I), are to real ones; lower is better, 0 = "
        "indistinguishable.",
        "lower",
        lambda e: e.metrics.energy,
    ),
    Metric(
        "MMD²",
        "Generated vs real (MMD²)",
        "A second, kernel-based distance between generated and real points; lower is better, 0 = same "
        "distribution.",
        "lower",
        lambda e: e.metrics.mmd,
    ),
    Metric(
        "Active units",
        "Latent dimensions used",
        "How many latent dimensions carry information about the point (their code varies over the data); "
        "fewer than the latent size means some collapsed.",
        None,
        lambda e: e.metrics.active_units,
        integer=True,
    ),
    Metric(
        "Train time (s)",
        "Training time (s)",
        "Seconds spent in training epochs (starting TensorFlow not counted).",
        None,
        lambda e: e.train_seconds,
    ),
    Metric(
        "Epochs",
        "Epochs trained",
        "Fewer than asked if the run stopped early (diverged or stopped).",
        None,
        lambda e: e.epochs_done,
        integer=True,
    ),
)
BY_COLUMN = {m.column: m for m in METRICS}


def metrics_frame(entries: list[Entry]) -> pd.DataFrame:
    """One row per scored entry: ``Model`` and each metric's column (NaN where it does not apply)."""
    rows = [
        {MODEL_COLUMN: e.variant.label, **{m.column: float(m.value(e)) for m in METRICS}}
        for e in entries
        if e.metrics is not None
    ]
    return pd.DataFrame(rows, columns=[MODEL_COLUMN, *BY_COLUMN])


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The wide table as UTF-8 CSV (empty cells where a metric does not apply)."""
    return spreadsheet.csv_bytes(frame, float_format="%.6g")


def _best(metric: Metric, values: pd.Series) -> float | None:
    known = values.dropna()
    if metric.better is None or len(known) < 2 or known.nunique() < 2:
        return None
    return float(known.min() if metric.better == "lower" else known.max())


def _cell(metric: Metric, value: float, best: float | None) -> str:
    if not math.isfinite(value):
        return metric.missing
    text = f"{value:.0f}" if metric.integer else f"{value:.4g}"
    return f"{text} ★ best" if best is not None and value == best else text


def readable_table(frame: pd.DataFrame) -> pd.DataFrame:
    """``metrics_frame``'s output as one row per metric: ``Measure``, ``What it tells you``, then one
    text cell per model. A value a model cannot have reads as what that means (``NO_LIKELIHOOD``);
    the best value of a row with a better direction is marked ``★ best``."""
    models = list(frame[MODEL_COLUMN])
    rows = []
    for metric in METRICS:
        values = frame[metric.column].astype(float)
        if metric.hide_when_empty and values.isna().all():
            continue
        best = _best(metric, values)
        cells = {model: _cell(metric, v, best) for model, v in zip(models, values, strict=True)}
        rows.append({"Measure": metric.plain, "What it tells you": metric.meaning, **cells})
    return pd.DataFrame(rows, columns=["Measure", "What it tells you", *models])


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}.get(n, f"{n}th")


def _rank(values: pd.Series, label: str, better: str) -> int:
    return int(values.rank(ascending=better == "lower", method="min")[label])


def verdicts(entries: list[Entry]) -> dict[str, str]:
    """One sentence per scored model: how it reconstructs and generates against the others.

    Reconstruction is ranked on standardized error (columns count alike), generation
    on energy distance, VAEs among themselves on the exact log p(x) (when they have
    it: a 2-D latent); a VAE whose code carries almost nothing (KL under 0.1 nats,
    or fewer active dimensions than it has) is called out as collapsed. Keyed by model label, in
    the entries' order.
    """
    frame = metrics_frame(entries).set_index(MODEL_COLUMN)
    n = len(frame)
    exact_known = frame["Exact log p(x) (nats)"].dropna()
    out: dict[str, str] = {}
    for entry in (e for e in entries if e.metrics is not None):
        label, m = entry.variant.label, entry.metrics
        if n == 1:
            sentence = (
                f"The only model scored: reconstruction error {m.recon_mse_std:.3g} (scaled), generated "
                f"points {m.energy:.3g} from real ones (energy distance); train another to compare"
            )
        else:
            recon = _rank(frame["Recon MSE (std)"], label, "lower")
            gen = _rank(frame["Energy distance"], label, "lower")
            error, distance = f"error {m.recon_mse_std:.3g}", f"energy distance {m.energy:.3g}"
            recon_text = {
                1: f"Reconstructs best of the {n} ({error})",
                n: f"Reconstructs worst of the {n} ({error})",
            }.get(recon, f"Is {_ordinal(recon)}-best of the {n} at reconstruction ({error})")
            gen_text = {
                1: f"generates the most realistic points ({distance})",
                n: f"generates the least realistic points ({distance})",
            }.get(gen, f"is {_ordinal(gen)}-best at generating realistic points ({distance})")
            joint = "and" if (recon <= (n + 1) / 2) == (gen <= (n + 1) / 2) else "but"
            sentence = f"{recon_text} {joint} {gen_text}"
            if not entry.variant.is_variational:
                sentence += ", and has no likelihood to score real data with (not a probabilistic model)"
        clauses = [sentence]
        if label in exact_known and len(exact_known) >= 2:
            place = _rank(exact_known, label, "higher")
            which = {1: "best", len(exact_known): "worst"}.get(place, f"{_ordinal(place)}-best")
            clauses.append(
                f"of the {len(exact_known)} VAEs it explains held-out data {which} "
                f"(exact log p(x) {m.exact_log_px:.3g} nats)"
            )
        if entry.variant.is_variational and (m.kl < 0.1 or m.active_units < entry.model_config.latent_dim):
            clauses.append(
                f"its code uses {m.active_units} of {entry.model_config.latent_dim} latent dimensions "
                f"(KL {m.kl:.2g} nats), partly collapsed to the prior"
            )
        out[label] = "; ".join(clauses) + "."
    return out
