"""The Runs panel: save, restore, reproduce and compare this session's runs.

Top to bottom: the current run with its bundle download, seed and copyable CLI command; a
bundle upload that restores a run (a bad one shows ``st.error`` and changes nothing); this
session's loss curves, one dataset at a time, with actions on any run (``vae.ui.run_actions``);
earlier datasets to go back to; CSV exports. Figures export as PNG or SVG through Plotly's own
modebar (no kaleido).
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from vae.data.csv_reader import MAX_UPLOAD_MB
from vae.data.dataset import Dataset
from vae.runs import session_runs
from vae.runs.run import Run
from vae.storage import reproduce
from vae.storage.bundle_format import BundleError
from vae.storage.bundle_save import decoded_grid_csv, latents_csv, save_bundle
from vae.ui import empty_state, palette, run_actions, state
from vae.ui.axes import log_axis
from vae.ui.text import figure_text, plain

UPLOAD_KEY = "runs_upload"
# {"id": upload file id, "error": str | None, "name": str}: each file handled once
RESULT_KEY = "ll_runs_restore"
CACHE_KEY = "ll_runs_bundle"  # (run fingerprint, bytes): the bundle of the current run, built once
FORMAT_KEY = "runs_figure_format"


def loss_curves_figure(runs: list[Run], labels: list[str], log_y: bool = False) -> go.Figure:
    """Training loss per epoch of each run, overlaid (nats per point, standardized data).

    ``labels`` name the curves (``vae.runs.session_runs.labels``: what sets each run apart). ``log_y``
    applies only when every loss is positive (a Gaussian likelihood's loss can be negative).
    """
    fig = go.Figure()
    for i, (run, label) in enumerate(zip(runs, labels, strict=True)):
        finite = [r for r in run.history if math.isfinite(r.get("loss", math.nan))]
        fig.add_trace(
            go.Scatter(
                x=[r["epoch"] for r in finite],
                y=[r["loss"] for r in finite],
                mode="lines",
                name=label,
                line={"color": palette.label_color(i), "width": 3 if i == len(runs) - 1 else 1.5},
            )
        )
    fig.update_layout(
        height=360,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis_title="epoch",
        yaxis_title="loss (nats per point)",
        legend={"orientation": "h", "y": -0.25},
        title=f"Training loss of this session's runs on {figure_text(session_runs.dataset_name(runs[-1]))}",
    )
    losses = [y for trace in fig.data for y in (trace.y or ())]
    if log_y and losses and min(losses) > 0:
        fig.update_yaxes(**log_axis(losses))
    return fig


def bundle_name(run: Run) -> str:
    data = re.sub(r"[^A-Za-z0-9]+", "-", run.data_config.name or run.data_config.preset).strip("-").lower()
    data = data[:40] or "run"
    return f"latent-lab-{data}-{run.model_config.kind}-seed{run.train_config.seed}-e{run.epochs_done}.zip"


def _fingerprint(run: Run, dataset: Dataset) -> tuple:
    return id(run), run.epochs_done, run.status, id(dataset)


def _bundle_bytes(run: Run, dataset: Dataset) -> bytes:
    key = _fingerprint(run, dataset)
    cached = st.session_state.get(CACHE_KEY)
    if cached is None or cached[0] != key:
        cached = (key, save_bundle(run, dataset))
        st.session_state[CACHE_KEY] = cached
    return cached[1]


def _current_run_section(run: Run | None, dataset: Dataset | None) -> None:
    st.subheader("Current run")
    if run is None or not run.usable:
        earlier = any(r.usable for r in state.past_runs())  # e.g. Compare's models
        empty_state.offer_model(
            "No current run: pick one of this session's runs below (Explore it, Continue it), train one, "
            "or restore a saved bundle."
            if earlier
            else "No trained run yet. Train one, or restore a saved bundle below.",
            key="runs_quick_train",
        )
        return
    m, t = run.model_config, run.train_config
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Model", m.label)
    c2.metric("Epochs", f"{run.epochs_done:,}")
    c3.metric("Last loss", f"{run.last_loss:.3f}", help="nats per point, standardized data")  # as the sidebar
    c4.metric("Seed", str(t.seed), help="The same settings and seed give the same loss curve.")
    if mismatch := empty_state.model_mismatch(run, dataset):
        empty_state.offer_retrain(mismatch, key="runs_retrain")
    elif run.is_active:
        st.caption("Training is running: pause or let it finish to download the bundle.")
    elif dataset is None or dataset.config != run.data_config:
        st.warning(
            "The active dataset is not the one this run was trained on, so the bundle cannot be "
            "saved. Restore the run's dataset (or retrain on the new one)."
        )
    else:
        try:
            payload = _bundle_bytes(run, dataset)
        except BundleError as err:
            st.error(str(err))
        else:
            st.download_button(
                "Download run bundle (.zip)",
                payload,
                file_name=bundle_name(run),
                mime="application/zip",
                key="runs_download_bundle",
                on_click=state.mark_saved,
                args=(run,),  # the tab may now be closed without losing this model
                help="Settings, weights (.weights.h5), dataset, history and latents in one zip. "
                "Upload it here later, or read it with `python -m vae info`.",
            )
    st.markdown("**Reproduce this run from a terminal**")
    csv_note = "" if run.data_config.source == "preset" else " (dataset.csv is inside the run bundle)"
    st.code(reproduce.cli_command(run.data_config, m, t), language="bash", wrap_lines=True)
    st.caption(
        f"The engine seeds weights, shuffling and noise from seed {t.seed}: the same command gives the "
        f"same loss curve{csv_note}. The address bar holds these settings too: copy the URL to share "
        f"them."
    )


def _on_upload() -> None:
    # A callback runs before the script: the panel then draws the restored run.
    uploaded = st.session_state.get(UPLOAD_KEY)
    if uploaded is None:
        return
    result: dict[str, Any] = {"id": uploaded.file_id, "name": uploaded.name, "error": None}
    try:
        if uploaded.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise BundleError(
                f"The file is {uploaded.size / 1e6:.0f} MB, over the {MAX_UPLOAD_MB} MB "
                f"upload limit; a run bundle is far smaller."
            )
        run, result["notes"] = run_actions.restore(uploaded.getvalue())
        result["restored"] = f"{run.model_config.label}, {run.epochs_done} epochs"
    except BundleError as err:
        result["error"] = str(err)
    st.session_state[RESULT_KEY] = result


def _restore_section() -> None:
    st.subheader("Restore a run")
    uploaded = st.file_uploader(
        "Run bundle (.zip) saved by Latent Lab",
        type=["zip"],
        key=UPLOAD_KEY,
        on_change=_on_upload,
        help="Restores the dataset, the model, its charts, the Explore view and the Train form's settings. "
        "The current run is kept in this session's history.",
    )
    result = st.session_state.get(RESULT_KEY)
    if uploaded is None or result is None or result["id"] != uploaded.file_id:
        return
    if result["error"]:
        # The file name is the user's text: shown inside st.error as plain text (no HTML).
        st.error(plain(f"Could not restore {result['name']!r}: {result['error']}"))
    else:
        st.success(
            plain(
                f"Restored {result['name']!r} ({result['restored']}). Explore and Learn now show "
                "it, and the Train form holds its settings."
            )
        )
        for note in result["notes"]:
            st.info(plain(note))


def _pick_dataset(numbered: list[tuple[int, Run]], current: Dataset | None) -> str:
    """Runs on different datasets never share an axis: the user picks one dataset's runs."""
    names = list(dict.fromkeys(session_runs.dataset_name(r) for _, r in reversed(numbered)))
    if len(names) == 1:
        return names[0]
    default = current.name if current is not None and current.name in names else names[0]
    chosen = st.segmented_control(
        "Dataset",
        names,
        default=default,
        key="runs_dataset_" + hashlib.sha1("\n".join(names).encode()).hexdigest()[:8],
        help="Loss values on different datasets are not comparable, so each dataset has its own chart.",
    )
    return chosen or default


def _history_section(runs: list[Run], current: Run | None, dataset: Dataset | None) -> None:
    st.subheader("This session's runs")
    # Each run keeps its number in the session (1 = the oldest kept); runs with no epoch have no curve.
    numbered = [(n, r) for n, r in enumerate(runs, start=1) if r.history]
    if not numbered:
        st.caption("Loss curves of this session's runs appear here, to compare settings.")
        return
    name = _pick_dataset(numbered, dataset)
    numbered = [(n, r) for n, r in numbered if session_runs.dataset_name(r) == name]
    numbers, shown = [n for n, _ in numbered], [r for _, r in numbered]
    labels = session_runs.labels(shown, numbers)
    with st.container(horizontal=True, vertical_alignment="bottom", gap="large"):
        log_y = st.toggle(
            "Log-scale loss axis",
            key="runs_log_y",
            help="Shows the early epochs and the final differences together (only when every loss is positive).",
        )
        image_format = (
            st.segmented_control(
                "Chart download format",
                ["png", "svg"],
                default="png",
                key=FORMAT_KEY,
                format_func=str.upper,
                help="What the chart's camera button (top right, on hover) saves.",
            )
            or "png"
        )
    st.plotly_chart(
        loss_curves_figure(shown, labels, log_y),
        key="runs_loss_curves",
        config={  # the modebar's camera button saves the chart (rendered by the browser)
            "displaylogo": False,
            "modeBarButtonsToRemove": ["lasso2d", "select2d"],
            "toImageButtonOptions": {
                "format": image_format,
                "filename": "latent-lab-loss-curves",
                "scale": 2,
            },
        },
    )
    rows = session_runs.settings_rows(shown, numbers)
    for row, run in zip(rows, shown, strict=True):
        row["status"] = f"{row['status']} (current)" if run is current else row["status"]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        key="runs_table",
        column_config={
            "lr": st.column_config.NumberColumn(format="%g"),
            "last loss": st.column_config.NumberColumn(format="%.4f"),
        },
    )
    _run_actions(shown, labels, current)
    past = state.past_runs()
    held = sum(session_runs.run_nbytes(r) for r in past) / 2**20
    st.caption(
        f"This session keeps up to {session_runs.MAX_PAST_RUNS} earlier runs in at most "
        f"{session_runs.PAST_RUNS_BUDGET_BYTES / 2**20:.0f} MB (now {len(past)} earlier runs, {held:.1f} MB). "
        "Over that, the oldest runs lose their epoch snapshots first, then the detail of long "
        "histories, and only then are dropped. Download a bundle to keep a run for good."
    )


def _run_actions(runs: list[Run], labels: list[str], current: Run | None) -> None:
    """Pick one run: explore it, continue training it, load its settings into the Train form, or delete it."""
    with st.container(border=True, key="ll-runs-actions"):
        index = st.selectbox(
            "Run",
            range(len(runs)),
            index=len(runs) - 1,
            format_func=lambda i: labels[i] + (" (current)" if runs[i] is current else ""),
            key="runs_pick_" + hashlib.sha1("\n".join(labels).encode()).hexdigest()[:8],
        )
        run = runs[index]
        actions = st.container(horizontal=True, key="ll-runs-buttons")
        explore = actions.button(
            "Explore it",
            key="runs_explore",
            disabled=not run.usable,
            help="Makes it the current run again, with its dataset, and opens Explore.",
        )
        more = actions.button(
            "Continue it",
            key="runs_continue",
            disabled=not run.can_continue,
            help="Makes it the current run again and trains it further on its own dataset, from its "
            "weights: its curves go on in the Train page.",
        )
        load = actions.button(
            "Load its settings",
            key="runs_load_settings",
            help="Into the Train form: its architecture, β and training settings (and its dataset comes back).",
        )
        remove = actions.button(
            "Delete it",
            key="runs_delete",
            disabled=run is current and run.is_active,
            help="Forgets the run in this session (a training must be stopped first).",
        )
        if explore or more:
            problem = run_actions.make_current(run) if explore else run_actions.continue_run(run)
            if problem is None:
                st.switch_page("pages/explore.py" if explore else "pages/train.py")
            st.error(problem)
        if load:
            st.success(run_actions.load_settings(run))
            st.page_link("pages/train.py", label="Open the Train page →")
        if remove:
            run_actions.delete(run)
            st.rerun()


def _datasets_section() -> None:
    past = state.past_datasets()
    if not past:
        return
    st.subheader("Earlier datasets")
    st.caption(
        f"The {len(past)} dataset(s) this session used before the active one (at most "
        f"{session_runs.MAX_PAST_DATASETS} are kept). Using one again keeps the active one here."
    )
    for i, d in enumerate(reversed(past)):
        left, right = st.columns([3, 1], vertical_alignment="center")
        left.markdown(plain(f"{d.name} · {d.n_rows:,} rows × {d.n_dims} columns"))
        right.button("Use it again", key=f"runs_dataset_back_{i}", on_click=state.set_dataset, args=(d,))


def _exports_section(run: Run | None, dataset: Dataset | None) -> None:
    st.subheader("Exports")
    if run is None or not run.usable or dataset is None or dataset.n_dims != run.model_config.input_dim:
        st.caption("Latent and decoded-grid CSVs appear here once a run is trained on the active dataset.")
        return
    fp = hashlib.sha1(repr(_fingerprint(run, dataset)).encode()).hexdigest()[:8]
    exports = [
        (
            "Latents CSV",
            latents_csv,
            "latents",
            "z_mean and z_log_var of every data point (the encoder's output).",
        )
    ]
    if run.model_config.latent_dim == 2:  # the decoded grid spans a 2-D latent plane
        exports.append(
            (
                "Decoded grid CSV",
                decoded_grid_csv,
                "decoded_grid",
                "The decoder's output on a 21 × 21 grid of z in [-3, 3]², in the data's original units.",
            )
        )
    row = st.container(horizontal=True)
    for label, make, name, note in exports:
        row.download_button(
            label,
            functools.partial(make, run.weights, dataset),
            file_name=f"{name}.csv",
            mime="text/csv",
            key=f"runs_{name}_{fp}",
            on_click="ignore",
            help=note,
        )
    st.caption(
        "Figures: use the camera button of any chart (top right, on hover) to download it as an image."
    )


def render_runs_panel() -> None:
    """Draw the whole panel (reads and writes the session through ``vae.ui.state``)."""
    run, dataset = state.get_run(), state.get_dataset()
    _current_run_section(run, dataset)
    st.divider()
    _restore_section()
    st.divider()
    runs = [*state.past_runs(), *([run] if run is not None else [])]
    _history_section(runs, run, dataset)
    _datasets_section()
    st.divider()
    _exports_section(run, dataset)
