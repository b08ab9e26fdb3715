"""A visible keyboard focus ring on every control, in both themes.

Streamlit marks a focused page link or sidebar link only with the faint grey
background it also uses for hover, and a focused checkbox, radio or toggle
focuses an input that is visually hidden. One primary-coloured ring, drawn
only for keyboard focus (``:focus-visible``), makes the focused control
obvious on a projector.
"""

from __future__ import annotations

import streamlit as st

from vae.ui.palette import PRIMARY

RING = f"outline: 3px solid {PRIMARY} !important; outline-offset: 2px !important;"

FOCUS_CSS = f"""<style>
a:focus-visible, button:focus-visible, summary:focus-visible, [role="tab"]:focus-visible,
[role="slider"]:focus-visible, [role="option"]:focus-visible, [tabindex]:focus-visible,
label:has(input:focus-visible), [data-baseweb="select"]:has(input:focus-visible),
[data-testid="stFileUploaderDropzone"]:has(input:focus-visible) {{ {RING} }}
</style>"""


def apply() -> None:
    """Add the focus ring to this page (a style block only: it takes no space)."""
    st.html(FOCUS_CSS)
