"""Home: what Latent Lab is and where to begin."""

import streamlit as st

from vae.ui.shell import require_app_shell

require_app_shell()

st.title("Latent Lab")
st.markdown(
    "A **variational autoencoder (VAE)** squeezes each data point into a small *latent* code "
    "and learns to decode codes back into data — while keeping the codes close to a standard "
    "normal distribution, so that *any* point of the latent plane decodes to something data-like."
)
st.markdown("Train one on your own 2-D data, then drag a point across its latent plane and watch what it decodes to.")

col1, col2, col3 = st.columns(3)
with col1:
    st.subheader("1 · Data")
    st.write("Generate two moons, spirals or blobs, draw your own, or upload a CSV.")
    st.page_link("pages/data.py", label="Choose data →")
with col2:
    st.subheader("2 · Train")
    st.write("Pick hyperparameters and watch the loss fall, live.")
    st.page_link("pages/train.py", label="Train →")
with col3:
    st.subheader("3 · Explore")
    st.write("Drag a point over the latent plane; see the decoded output move.")
    st.page_link("pages/explore.py", label="Explore →")
