"""Empty states: say what is missing and offer one click that fixes it.

Every page that needs a dataset or a trained model shows one of these instead
of an empty chart, so a newcomer is never left on a page with nothing to do.
"""

from __future__ import annotations

import streamlit as st

from vae.config import DataConfig
from vae.data import generate
from vae.ui import state


def _use_two_moons() -> None:
    state.set_dataset(generate(DataConfig()))


def offer_dataset(message: str, key: str) -> None:
    """Explain that there is no dataset; a button loads two moons, a link opens Data."""
    st.info(message, icon="📊")
    left, right = st.columns([1, 2], vertical_alignment="center")
    left.button("Use two moons (2,000 points)", type="primary", icon="🌙", key=key, on_click=_use_two_moons)
    right.page_link("pages/data.py", label="Or choose, draw or upload one on the Data page", icon="📊")


def offer_model(message: str, key: str) -> None:
    """Explain that there is no trained model; a button trains the default one, a link opens Train.

    The button uses two moons when there is no dataset yet, asks the Train page
    to start the default settings, and opens it, so the progress is in view.
    """
    st.info(message, icon="🏋️")
    left, right = st.columns([1, 2], vertical_alignment="center")
    with left:
        if st.button("Train a quick default model", type="primary", icon="⚡", key=key):
            if state.get_dataset() is None:
                _use_two_moons()
            state.request_autostart()
            st.switch_page("pages/train.py")
    right.page_link("pages/train.py", label="Or choose the settings on the Train page", icon="🏋️")
