"""Streamlit glue for the Compare page: the settings form, background jobs, figures, table, pads.

The comparison, its queue of jobs and its numbers come from the library
(``vae.compare``, ``vae.training.scheduler``, ``vae.core.compare_metrics``); training runs
in ``vae.training.worker`` child processes (at most ``worker.MAX_CONCURRENT_JOBS`` at
once on the whole server; the rest wait in the queue). Nothing here imports
TensorFlow.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from vae import compare, compare_report
from vae.compare import CompareSpec, Comparison, Entry, Variant
from vae.config import ModelConfig, TrainConfig, default_epochs, fitting_batch_size
from vae.core import exact
from vae.core.explore import decode_original, prior_samples_original, refuse_reason
from vae.data.dataset import Dataset
from vae.runs import session_runs
from vae.ui import state, training
from vae.ui.compare_figures import loss_figure
from vae.ui.settings_form import SETTINGS, draw, from_widget, to_widget
from vae.ui.text import plain

# Each model's checkbox in the form: its label and what the model is. The form starts with TICKED.
VARIANT_BOXES = {
    "ae": ("Autoencoder", "z = encoder(x); loss = reconstruction only. Nothing shapes the latent plane."),
    "denoising": (
        "Denoising AE",
        "Sees x + noise, must reconstruct x: learns to map points back onto the data.",
    ),
    "sparse": ("Sparse AE", "Adds λ·|z|₁ to the loss: pushes codes towards 0 (a shrunk latent plane)."),
    "vae": ("VAE", "z ~ q(z|x) = N(μ, σ²); loss = reconstruction + KL to the prior N(0, I)."),
    "beta_vae": ("β-VAE", "A VAE whose KL term is weighted by β > 1: a smoother, blurrier latent plane."),
}
TICKED = ("ae", "vae")
PAD_PREFIX = "ll_compare_pad_"
MAX_COMPARE_EPOCHS = 2000
SIZED_FOR_KEY = "ll_cmp_sized_for"  # the dataset the budget fields were last sized to
# The progress fragment's interval while models train: a queued model starts on the poll after a slot
# frees, so a comparison of five (three waves on two slots) waits for about one poll per wave.
POLL_S = 0.25


FORM_PREFIX = "ll_cmp_"  # a setting's widget key: FORM_PREFIX + its URL name ("ll_cmp_lr")
VARIANT_SETTINGS = {"denoising": "noise_std", "sparse": "sparsity", "beta_vae": "beta"}
BUDGET_SETTINGS = ("epochs", "batch_size", "learning_rate", "seed")
# Where Compare's starting value is not the setting's own: its beta-VAE is the classic beta = 4.
FORM_DEFAULTS = {"beta": 4.0}
# Where Compare's widget differs from the Train form's: the budget is sized to the data (size_budget),
# so the batch takes any size that fits the rows (iris: 120) and the epochs stay few enough for five models.
FORM_WIDGETS: dict[str, dict[str, Any]] = {
    "batch_size": {"widget": "number", "scale": (), "form_high": 4096, "step": 16},
    "epochs": {
        "form_high": MAX_COMPARE_EPOCHS,
        "help": "Sized to your data in optimizer steps, as on the Train page: small tables get "
        "more epochs, so every model gets as many updates.",
    },
}


def _setting_widget(field_name: str, where: Any) -> Any:
    """The schema's widget for one setting (vae/ui/settings_form.py), keyed for this form."""
    s = next(s for s in SETTINGS if s.field == field_name)
    s = dataclasses.replace(s, **FORM_WIDGETS.get(field_name, {}))
    key = FORM_PREFIX + s.name
    st.session_state.setdefault(key, to_widget(s, FORM_DEFAULTS.get(field_name, s.default))[0])
    return from_widget(s, draw(s, where, key))


def size_budget(dataset: Dataset) -> None:
    """Size the shared budget to ``dataset`` (once per dataset): Train's default steps, a batch that fits.

    The training rows are what the holdout leaves (iris: 120 of 150, below the default batch of 128).
    """
    if st.session_state.get(SIZED_FOR_KEY) == (dataset.config, dataset.n_rows):
        return
    holdout = float(st.session_state.get("ll_cmp_holdout", compare.DEFAULT_HOLDOUT))
    n_train, _ = compare.split_sizes(dataset.n_rows, holdout)
    batch = fitting_batch_size(n_train)
    st.session_state[FORM_PREFIX + "batch_size"] = batch
    st.session_state[FORM_PREFIX + "epochs"] = min(default_epochs(n_train, batch), MAX_COMPARE_EPOCHS)
    st.session_state[SIZED_FOR_KEY] = (dataset.config, dataset.n_rows)


def settings_form(dataset: Dataset, disabled: bool) -> CompareSpec | None:
    """The form: which variants, their one setting each, the shared budget. A spec on submit."""
    size_budget(dataset)
    with st.form("ll_compare_form", border=True):
        st.markdown(
            "**Which models?** Same data, seed, architecture (2 → 64 → 32 → z₂ → 32 → 64 → 2 "
            "for 2-D data) and budget; they differ only in their loss and sampling."
        )
        ticks, own = {}, {}
        for col, (key, (label, what)) in zip(st.columns(5), VARIANT_BOXES.items(), strict=True):
            with col:
                ticks[key] = st.checkbox(label, value=key in TICKED, key=f"ll_cmp_{key}", help=what)
                if key in VARIANT_SETTINGS:
                    own[VARIANT_SETTINGS[key]] = _setting_widget(VARIANT_SETTINGS[key], st)
        st.markdown("**Shared budget**")
        b = st.columns(5)
        budget = {name: _setting_widget(name, where) for name, where in zip(BUDGET_SETTINGS, b, strict=False)}
        holdout = b[4].slider(
            "Held out for metrics",
            0.1,
            0.5,
            compare.DEFAULT_HOLDOUT,
            0.05,
            key="ll_cmp_holdout",
            help="Rows no model trains on; every metric is computed on them.",
        )
        submitted = st.form_submit_button("Train the ticked models", type="primary", disabled=disabled)
    # A submit while the form is drawn disabled is a press delivered twice (a poll sent it again)
    # or Enter in a field: training models must not restart.
    if not submitted or disabled:
        return None
    keys = [k for k, ticked in ticks.items() if ticked]
    if not keys:
        st.error("Tick at least one model to train.")
        return None
    try:
        spec = CompareSpec(
            variants=tuple(Variant(k, **own) for k in keys),
            model=ModelConfig(input_dim=dataset.n_dims),
            train=TrainConfig(**budget),
            holdout=float(holdout),
        )
        spec.check_against_data(dataset.n_rows)
    except ValueError as exc:
        st.error(f"These settings cannot train: {exc}")
        return None
    return spec


def start(spec: CompareSpec, dataset: Dataset) -> Comparison:
    """Replace this session's comparison with a new one; its models start as slots free up."""
    old = state.get_comparison()
    if old is not None:
        old.stop_all()
        _archive(old)
    comparison = Comparison.new(spec, dataset)
    state.set_comparison(comparison)
    state.set_compare_cursor((0.0, 0.0))
    pump(comparison, dataset)
    return comparison


def pump(comparison: Comparison, dataset: Dataset) -> None:
    """Follow and start the comparison's jobs (the session's end, a closed tab, stops each one);
    the models that ended join the session's runs."""
    comparison.pump(dataset, on_start=training.register)
    _archive(comparison)


def _archive(comparison: Comparison) -> None:
    """Its models that ended join the session's earlier runs (the Runs page lists them)."""
    for run in comparison.take_ended():
        session_runs.archive(state.past_runs(), run)


def progress(dataset: Dataset) -> None:
    """Status line per model and the overlaid loss curves; polls while anything trains."""
    comparison = state.get_comparison()
    if comparison is None:
        return
    was_active = comparison.is_active
    pump(comparison, dataset)
    with st.container(key="ll-compare-progress"):
        cols = st.columns(len(comparison.entries))
        for col, entry in zip(cols, comparison.entries.values(), strict=False):
            with col:
                st.markdown(f"**{entry.variant.label}**")
                st.caption(
                    f"{entry.status} · epoch {entry.epochs_done}/{comparison.spec.train.epochs}"
                    + (f" · {plain(entry.message)}" if entry.message else "")
                )
        if any(e.history for e in comparison.entries.values()):
            term = st.segmented_control(
                "Curve",
                ["loss", "recon"],
                default="loss",
                key="ll_cmp_term",
                format_func={"loss": "Total loss", "recon": "Reconstruction"}.get,
            )
            st.plotly_chart(loss_figure(comparison, term or "loss"), width="stretch", key="ll_cmp_loss")
    if was_active and not comparison.is_active:
        st.rerun()  # the whole page: results appear


def metrics_table(comparison: Comparison, entries: list[Entry]) -> None:
    """The scores in plain words (one row per measure), a verdict per model, and the CSV."""
    frame = compare_report.metrics_frame(entries)
    with st.container(key="ll-compare-metrics"):
        # A static table: the meanings are sentences, and a data grid would cut them off.
        st.table(compare_report.readable_table(frame).set_index("Measure"))
        with st.container(key="ll-compare-verdicts"):
            st.markdown(
                "\n".join(
                    f"- **{label}**: {text}" for label, text in compare_report.verdicts(entries).items()
                )
            )
        st.download_button(
            "Download the table (CSV)",
            compare_report.to_csv_bytes(frame),
            "latent_lab_compare.csv",
            mime="text/csv",
            key="ll_cmp_csv",
        )
    latent = comparison.spec.model.latent_dim
    st.caption(
        f"Scored on {len(comparison.test_rows):,} held-out rows no model trained on. Likelihoods are in "
        "nats per point on standardized data; ★ marks the best value of a row where one way is better."
        + (
            f" The exact log p(x) needs a 2-D latent (these models have {latent}): the IWAE bound stands in."
            if latent != exact.LATENT_DIM
            else ""
        )
    )


def _mark_moved(key: str) -> None:
    st.session_state[state.COMPARE_MOVED] = key


def cursor_pads(comparison: Comparison, dataset: Dataset, entries: list[Entry]) -> None:
    """One latent pad per model, one shared cursor: moving the point in a pad moves it in all."""
    from vae.ui.latent_pad import latent_pad  # registers the component on first use

    cursor = state.get_compare_cursor()
    usable = [e for e in entries if refuse_reason(e.weights) is None]
    if not usable:
        st.info("The latent pads need models with a 2-D latent plane and finite weights.")
        return
    moved_key = st.session_state.pop(state.COMPARE_MOVED, None)
    new_cursor = None
    n_cols = 2 if len(usable) <= 2 or len(usable) == 4 else 3
    grid = st.columns(n_cols)
    for i, e in enumerate(usable):
        with grid[i % n_cols], st.container(border=True, key=f"ll-compare-pad-{e.variant.key}"):
            st.markdown(f"**{e.variant.label}**")
            samples = prior_samples_original(
                e.weights, dataset.standardizer, 200, comparison.spec.train.seed + 3
            )
            pad = latent_pad(
                e.weights,
                dataset,
                key=PAD_PREFIX + e.variant.key,
                z=cursor,
                samples=samples,
                variational=e.variant.is_variational,
                on_change=functools.partial(_mark_moved, e.variant.key),
            )
            if moved_key == e.variant.key and not np.allclose(pad.z, cursor):
                new_cursor = pad.z
    if new_cursor is not None:
        state.set_compare_cursor(new_cursor)
        st.rerun(scope="fragment")
    z = np.asarray([cursor], np.float32)
    rows = {e.variant.label: decode_original(e.weights, dataset.standardizer, z)[0] for e in usable}
    shown = list(dataset.columns[:8])
    table = pd.DataFrame({label: x[: len(shown)] for label, x in rows.items()}, index=shown).T
    table.index.name = "model"
    st.markdown(f"**Each model's decoding of z = ({cursor[0]:.2f}, {cursor[1]:.2f})** (original units)")
    st.dataframe(table, width="stretch", key="ll_cmp_decoded")
