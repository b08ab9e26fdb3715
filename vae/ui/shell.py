"""Run every page inside app.py's shell: even on a fresh server's deep link, and never ending
in an exception box when memory runs out.

Streamlit keeps a class-wide flag, set at start-up because a ``pages/`` folder
sits beside app.py, that makes the *first* run of a fresh server execute a
deep-linked page (``/train``) on its own, Multipage-v1 style: no
``st.navigation``, no shared sidebar, file names in the menu. The flag is
cleared the first time app.py calls ``st.navigation``; a page that finds it
still set clears it and reruns, so the rerun goes through app.py.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

# The browser tab's icon: a bundled SVG (Streamlit inlines it as a data URL), not an emoji, which a
# machine without an emoji font shows as a box.
FAVICON = Path(__file__).with_name("icon.svg")
_RERUN_DONE = "ll_shell_rerun_done"


def require_app_shell() -> None:
    """Call first on every page: reruns through app.py if Streamlit skipped it."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the v1 fallback
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        # Once per session is enough (the flag is a start-up leftover). AppTest sets it again on
        # every run, and a rerun there would swallow the button click under test.
        if not st.session_state.get(_RERUN_DONE):
            st.session_state[_RERUN_DONE] = True
            st.rerun()


def run_page(page: StreamlitPage) -> None:
    """Run the page ``st.navigation`` chose; running out of memory ends it with one message.

    Readers of uploads refuse what would not fit with their own messages; this
    catches the rest, so the user sees what happened and what to do, and the
    session's data, model and runs stay as they were.
    """
    try:
        page.run()
    except MemoryError:
        st.error(
            "This page ran out of memory and stopped. Your data, model and runs are kept; "
            "try a smaller dataset or fewer points, or close other programs, then reload the page."
        )
