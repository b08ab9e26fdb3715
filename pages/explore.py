"""Explore: drag a point across the latent plane and watch the decoded output move.

The pad decodes in the browser while dragging; on release this page prints the
exact readout (NumPy decoder, original units) and the prior density at z.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import streamlit as st

from vae.core import exact, explore, learn, losses
from vae.core.decode import encode
from vae.data.dataset import Dataset
from vae.runs.run import Run
from vae.ui import empty_state, palette, state, timeline, training
from vae.ui.latent_pad import latent_pad, selected_row, view_kind
from vae.ui.shell import require_app_shell
from vae.ui.text import column_format, plain

require_app_shell()

PAD_KEY = "ll_explore_pad"
SAMPLES = "ll_explore_samples"  # (z, x) prior samples drawn over the data, or absent

st.title("Explore the latent plane")


def no_model() -> None:
    empty_state.offer_model(
        "There is no trained model yet. The pad shows a model's latent plane, so train "
        "one first: in one click here with the default settings, or on the Train page.",
        key="ex_quick_train",
    )


def refuse(run: Run, dataset: Dataset) -> str | None:
    return empty_state.model_mismatch(run, dataset) or explore.refuse_reason(run.weights, plain(run.message))


def show_readout(run: Run, dataset: Dataset, z: tuple[float, float], limit: float) -> None:
    r = explore.readout(run.weights, dataset.standardizer, z, limit)
    with st.container(key="ll-readout", border=True):
        st.markdown("**Readout** (where you released the point; decoded in NumPy)")
        cols = st.columns(3)
        cols[0].metric("z₁, z₂", f"{r.z[0]:.3f}, {r.z[1]:.3f}")
        cols[1].metric("Prior density p(z)", f"{r.density:.3g}", help="N(z; 0, I): high near 0, tiny far out")
        cols[2].metric("log p(z)", f"{r.log_density:.3f} nats")
        if r.clamped:
            st.caption(f"The point was outside the pad; it was clamped to [-{limit:g}, {limit:g}]².")
        frame = pd.DataFrame({"column": list(dataset.columns), "decoded x (original units)": r.x})
        if dataset.n_dims <= 12:
            number = st.column_config.NumberColumn(format=column_format(r.x.tolist()))
            st.dataframe(
                frame, hide_index=True, width="stretch", column_config={"decoded x (original units)": number}
            )
        else:
            st.caption(f"Decoded x has {dataset.n_dims} values; all of them are in the exact values below.")
        with st.expander("Exact values (JSON)"):
            values = {"z": r.z.tolist(), "x": r.x.tolist(), "prior_density": r.density, "clamped": r.clamped}
            st.code(json.dumps(values), language="json")


def show_posterior(run: Run, dataset: Dataset, row: int, truth: exact.PointTruth | None) -> None:
    x = dataset.values[row]
    z_mean, z_log_var = encode(run.weights, dataset.standardized()[row : row + 1])
    sigma = losses.posterior_std(z_log_var[0])
    recon = explore.decode_original(run.weights, dataset.standardizer, z_mean[0])
    kl = float(losses.kl_divergence(z_mean, z_log_var)[0])
    with st.container(border=True, key="ll-explore-posterior"):
        st.markdown(
            f"**Data point #{row}**: its posterior q(z|x) = N(μ, diag σ²), "
            "shown as 1σ and 2σ ellipses on the pad"
        )
        cols = st.columns(3)
        cols[0].metric("μ", f"{z_mean[0, 0]:.3f}, {z_mean[0, 1]:.3f}")
        cols[1].metric("σ", f"{sigma[0]:.3f}, {sigma[1]:.3f}")
        cols[2].metric("KL(q ‖ prior)", f"{kl:.3f} nats")
        if truth is not None:
            show_truth(truth)
        if dataset.n_dims <= 12:
            number = st.column_config.NumberColumn(format=column_format([*x, *recon]))
            st.dataframe(
                pd.DataFrame({"column": list(dataset.columns), "x": x, "reconstruction": recon}),
                hide_index=True,
                width="stretch",
                column_config={"x": number, "reconstruction": number},
            )


def show_truth(truth: exact.PointTruth) -> None:
    """The exact log p(x), the bounds on it and the gap, beside the true posterior on the pad."""
    st.markdown(
        f"Its **true posterior** p(z|x), computed on a grid, is the {palette.NAMES['true_posterior']} "
        "heat map under the ellipses (layer *true posterior*). How far q is from it is the gap "
        "between the ELBO and log p(x):"
    )
    cols = st.columns(4)
    cols[0].metric(
        "log p(x), exact",
        f"{truth.log_px:.3f}",
        help=f"nats, by quadrature; estimated error {truth.error:.1g}",
    )
    cols[1].metric("ELBO", f"{truth.elbo:.3f}", help="nats; E_q[log p(x|z)] − KL(q ‖ prior), by quadrature")
    cols[2].metric(
        f"IWAE, K = {truth.iwae_k}", f"{truth.iwae:.3f}", help="nats; one draw of K importance samples"
    )
    cols[3].metric("Gap = KL(q ‖ p(z|x))", f"{truth.gap:.3f}", help="nats; log p(x) − ELBO")
    st.caption(learn.gap_meaning(truth.gap))


def show_path(run: Run, dataset: Dataset, path) -> None:
    zs = explore.interpolation_path(path[0], path[1], steps=16)
    xs = explore.decode_original(run.weights, dataset.standardizer, zs)
    st.markdown(
        f"**Interpolation** from A = ({path[0][0]:.2f}, {path[0][1]:.2f}) "
        f"to B = ({path[1][0]:.2f}, {path[1][1]:.2f}): decoded values along the path"
    )
    shown = min(dataset.n_dims, 10)
    frame = pd.DataFrame(xs[:, :shown], columns=list(dataset.columns[:shown]))
    frame.index = np.round(np.linspace(0.0, 1.0, len(zs)), 3)
    frame.index.name = "t (A = 0, B = 1)"
    st.line_chart(frame, height=220)


def controls(run: Run, dataset: Dataset) -> str:
    left, mid, right = st.columns([2, 1, 2], vertical_alignment="bottom")
    mode = left.segmented_control(
        "Mode",
        ["Drag", "Interpolate"],
        default="Drag",
        key="ll_explore_mode",
        help="Interpolate: click two places on the plane (A, then B) to decode the straight path between them.",
    )
    n = mid.number_input("Samples", 1, 2000, 200, step=50, key="ll_explore_n")
    with right:
        a, b = st.columns(2)
        if a.button("Sample from the prior", help="z ~ N(0, I), x = decoder(z): how the VAE generates"):
            seed = int(np.random.default_rng().integers(2**31))
            st.session_state[SAMPLES] = explore.prior_samples_original(
                run.weights, dataset.standardizer, int(n), seed
            )
        if b.button("Clear samples", disabled=SAMPLES not in st.session_state):
            st.session_state.pop(SAMPLES, None)
    return "interpolate" if mode == "Interpolate" else "drag"


def explore_view(mode: str) -> None:
    training.sync()  # the latest weights while a training runs in the background
    run, dataset = state.get_run(), state.get_dataset()
    if run is None or dataset is None or refuse(run, dataset):
        st.rerun()  # the model changed under us (a new run started): re-check from the top
    run = timeline.pinned(run)  # the latest weights, or those of the epoch the user pinned
    if run.is_active:
        st.caption(
            f"Training in progress ({run.status}, epoch {run.epochs_done}): the pad follows the "
            "latest weights every second."
        )
    variational = run.model_config.is_variational
    row = selected_row(PAD_KEY, dataset.n_rows) if variational and mode == "drag" else None
    truth = None
    if row is not None:  # the point clicked on the last run: its true posterior, drawn on the pad
        truth = exact.point_truth(run.weights, dataset.standardized()[row], run.model_config.decoder_std)
    pad = latent_pad(
        run.weights,
        dataset,
        key=PAD_KEY,
        mode=mode,
        samples=st.session_state.get(SAMPLES),
        variational=variational,
        offer_truth=variational,
        truth=None if truth is None else (row, truth.posterior),
    )
    show_readout(run, dataset, pad.z, pad.limit)
    if pad.selected is not None and mode == "drag":
        show_posterior(run, dataset, pad.selected, truth if pad.selected == row else None)
    if pad.path is not None and mode == "interpolate" and view_kind(dataset.n_dims) != "scatter":
        show_path(run, dataset, pad.path)


dataset, run = state.get_dataset(), state.get_run()
if run is None or dataset is None:
    no_model()
    st.stop()
mismatch = empty_state.model_mismatch(run, dataset)
if mismatch:
    empty_state.offer_retrain(mismatch, key="ex_retrain")
    st.stop()
reason = refuse(run, dataset)
if reason:
    st.error(f"This model cannot be explored. {reason}")
    st.page_link("pages/train.py", label="Train again")
    st.stop()
if run.status == "diverged":
    st.warning(f"This run diverged; you are exploring its last finite weights. {plain(run.message)}")
if run.data_config.replace(name="") != dataset.config.replace(name=""):
    st.warning("The dataset changed since this model was trained: the encoded points may not match.")
st.caption(
    f"{run.model_config.label} on {plain(dataset.name)} · {dataset.n_rows:,} rows × {dataset.n_dims} "
    f"columns · epoch {run.epochs_done}. Drag the {palette.NAMES['point']} point; the output is decoded as you move."
)
timeline.pin_control(run)
mode = controls(timeline.pinned(run), dataset)
st.fragment(explore_view, run_every=1.0 if run.is_active else None)(mode)
