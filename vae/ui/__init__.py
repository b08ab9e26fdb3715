"""Streamlit-facing helpers: session state, figures and custom components."""
