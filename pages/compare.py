"""Compare: a VAE against plain, denoising and sparse autoencoders, side by side on the same data.

Tick the models, train them in background processes (same data, seed,
architecture and budget), then compare what each does with the prior
N(0, I): a VAE decodes it into data-like points, a plain autoencoder does not.
"""

from __future__ import annotations

import streamlit as st

from vae.ui import compare_figures as figures
from vae.ui import compare_view as view
from vae.ui import empty_state, palette, state
from vae.ui.shell import require_app_shell
from vae.ui.text import plain

require_app_shell()

st.title("Compare autoencoders")
# The form below says what the models share; the caption asks the question. Non-breaking spaces
# keep "z ~ N(0, I)" on one line.
st.caption(
    "Which of these models can *generate* — decode a random z\u00a0~\u00a0N(0,\u00a0I) into a data-like point?"
)

dataset = state.get_dataset()
if dataset is None:
    empty_state.offer_dataset(
        "There is no dataset yet. Compare the models on the classic two moons, or "
        "choose, draw or upload data on the Data page.",
        key="cmp_use_moons",
    )
    st.stop()

comparison = state.get_comparison()
st.markdown(f"Dataset: **{plain(dataset.name)}** · {dataset.n_rows:,} rows × {dataset.n_dims} columns")
# Models trained on another dataset cannot be scored or drawn on this one (it may not even have
# as many columns): say so, and let the form train them again here.
stale = comparison is not None and not comparison.matches(dataset)
if stale:
    st.warning(
        "The dataset changed since these models were trained; press **Train the ticked models** "
        "to train them on the current data.",
    )

running = comparison is not None and comparison.is_active
spec = view.settings_form(dataset, disabled=running and not stale)
if spec is not None:
    view.start(spec, dataset)
    # Draw the page again: the form above was drawn before the submit, with its button enabled, and
    # a second press would stop these models and start them over.
    st.rerun()

if comparison is None:
    st.info(
        "Tick the models to compare and press **Train the ticked models**. Each trains in its own "
        "background process; two at a time, the rest wait in a queue.",
    )
    st.stop()

if running and st.button("Stop all", key="ll_cmp_stop"):
    comparison.stop_all()
    st.rerun()
if stale:
    st.stop()

st.subheader("Training")
st.fragment(view.progress, run_every=view.POLL_S if running else None)(dataset)

entries = comparison.scored()
if not entries or not comparison.matches(dataset):
    st.stop()

st.subheader("Generation: decode z ~ N(0, I)")
data, samples = palette.NAMES["data"], palette.NAMES["prior_samples"]
st.caption(
    f"{data.capitalize()}: held-out data. {samples.capitalize()}: 500 points decoded from the prior "
    f"N(0, I). A model that can generate puts the {samples} points on the {data} ones; the title gives "
    "its energy distance to the data (lower is better; 0 = indistinguishable)."
)
st.caption(
    f"For scale: real training rows score {comparison.reference_energy(dataset):.3f} against "
    "the same held-out rows — what a perfect generator would get."
)
st.plotly_chart(figures.prior_figure(comparison, dataset, entries), width="stretch", key="ll_cmp_prior")

st.subheader("Latent planes")
st.caption(
    "Held-out data encoded to E[z|x]. A VAE's codes fill the prior's circles, because its KL "
    "term pulls them there; nothing constrains where a plain autoencoder puts its codes, so "
    "N(0, I) may land where no data was ever encoded."
)
st.plotly_chart(figures.latent_figure(comparison, dataset, entries), width="stretch", key="ll_cmp_latent")

st.subheader("Metrics on held-out data")
view.metrics_table(comparison, entries)

st.subheader("One latent cursor for all models")
st.caption(
    "Drag the point in any pad (or use the arrow keys): every pad moves to the same z and shows "
    "what its decoder makes of it."
)
st.fragment(view.cursor_pads)(comparison, dataset, entries)
