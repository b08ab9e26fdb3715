"""Latent Lab: train a VAE on your own 2-D data and explore its latent plane.

Entrypoint: page config, navigation over pages/, and the shared sidebar.
"""

import streamlit as st

from vae.ui import focus, leave_guard, offline, share, shell, sidebar

offline.apply()  # before anything else: Streamlit's origin check must not look up addresses

st.set_page_config(page_title="Latent Lab", page_icon=str(shell.FAVICON), layout="wide")
focus.apply()

PAGES = [
    st.Page("pages/home.py", title="Home", default=True),
    st.Page("pages/data.py", title="Data", url_path="data"),
    st.Page("pages/train.py", title="Train", url_path="train"),
    st.Page("pages/explore.py", title="Explore", url_path="explore"),
    st.Page("pages/compare.py", title="Compare", url_path="compare"),
    st.Page("pages/learn.py", title="Learn", url_path="learn"),
    st.Page("pages/runs.py", title="Runs", url_path="runs"),
]

page = st.navigation(PAGES)
share.read_query_params()  # a shared link's settings, applied once per session
share.sync_query_params()
sidebar.render(page.url_path)
leave_guard.render()  # F5 or closing the tab asks first while a model is unsaved
shell.run_page(page)
