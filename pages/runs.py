"""Runs: save, restore, reproduce and compare this session's runs (vae/ui/runs_panel.py)."""

import streamlit as st

from vae.ui.runs_panel import render_runs_panel
from vae.ui.shell import require_app_shell

require_app_shell()

st.title("Runs")
st.caption(
    "Save a run as one zip and restore it later, reproduce it from a terminal, compare this session's "
    "loss curves, and export latents and decoded grids."
)
render_runs_panel()
