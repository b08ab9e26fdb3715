"""Home: what Latent Lab is, where this session stands, and a one-click start."""

import streamlit as st

from vae.config import DataConfig
from vae.data.presets import generate
from vae.ui import empty_state, state
from vae.ui.shell import require_app_shell
from vae.ui.text import badge, plain, status_badge

require_app_shell()

TOUR_DATASET = "Two moons"  # what "Try it now" trains on
DONE, TO_DO, OTHER_DATA = badge("Done", "green"), badge("To do"), badge("Other data", "orange")

st.title("Latent Lab")
st.markdown(
    "A **variational autoencoder (VAE)** learns to squeeze each data point into a 2-D *latent* code "
    "and decode it back — while keeping the codes close to a standard normal, so that *every* point "
    "of the latent plane decodes to something data-like. Train one on your own data, then drag a "
    "point across its latent plane and watch what it decodes to."
)

dataset, run = state.get_dataset(), state.get_run()
mismatch = empty_state.model_mismatch(run, dataset)

with st.container(border=True, key="tour"):
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.markdown(
        "**New here?** One click generates two moons, trains the default VAE "
        "(about 10 seconds, with live charts) and opens the latent plane for you to drag."
        + (
            f" Your dataset ({plain(dataset.name)}) and your Train settings are kept: go back to the "
            "dataset from the Runs page."
            if dataset is not None and dataset.name != TOUR_DATASET
            else ""
        )
    )
    if right.button("Try it now", type="primary", width="stretch", key="try_it_now"):
        state.set_dataset(generate(DataConfig(name=TOUR_DATASET)))  # the active one stays a past dataset
        state.request_tour()
        st.switch_page("pages/train.py")

col1, col2, col3 = st.columns(3)
with col1.container(border=True, height="stretch"):
    st.subheader("1 · Data")
    st.write("Generate two moons, spirals or blobs, draw your own points, or upload a CSV.")
    if dataset is None:
        st.caption(f"{TO_DO} No dataset yet.")
    else:
        st.caption(f"{DONE} {plain(dataset.name)}: {dataset.n_rows:,} rows × {dataset.n_dims} columns.")
    st.page_link("pages/data.py", label="Choose data →")
with col2.container(border=True, height="stretch"):
    st.subheader("2 · Train")
    st.write("Pick hyperparameters and watch the loss fall, live, with play / pause / step.")
    if run is None:
        st.caption(f"{TO_DO} No model yet.")
    elif run.history:
        last = run.history[-1]
        st.caption(
            f"{status_badge(run.status)} {run.model_config.label}: "
            f"epoch {run.epochs_done}, loss {last['loss']:.3f} nats/point "
            f"(reconstruction {last['recon']:.3f}, KL {last['kl']:.3f})."
        )
    else:
        st.caption(f"{status_badge(run.status)} {run.model_config.label}.")
    if mismatch:
        st.caption(f"{OTHER_DATA} {mismatch}")
        empty_state.train_on_current_data(key="home_retrain")
    st.page_link("pages/train.py", label="Train →")
with col3.container(border=True, height="stretch"):
    st.subheader("3 · Explore")
    st.write("Drag a point over the latent plane and see the decoded output move as you drag.")
    if run is not None and run.usable and not mismatch:
        st.caption(f"{badge('Ready', 'green')} The latent plane of your model is waiting.")
    else:
        st.caption(
            f"{TO_DO} Needs a model trained on the current dataset."
            if mismatch
            else f"{TO_DO} Needs a trained model."
        )
    st.page_link("pages/explore.py", label="Explore →")

st.markdown(
    "Then see **how a VAE differs** from plain, denoising and sparse autoencoders on "
    "the same data, and read the math with your model's own numbers plugged in."
)
c1, c2, _ = st.columns([1, 1, 2])
c1.page_link("pages/compare.py", label="Compare autoencoders →")
c2.page_link("pages/learn.py", label="Learn the math →")
st.caption("Everything runs on this computer: no internet needed, nothing leaves your machine.")
