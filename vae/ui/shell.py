"""Make every page run inside app.py's shell, even on a fresh server's deep link.

Streamlit keeps a class-wide flag, set at start-up because a ``pages/`` folder
sits beside app.py, that makes the *first* run of a fresh server execute a
deep-linked page (``/train``) on its own, Multipage-v1 style: no
``st.navigation``, no shared sidebar, file names in the menu. The flag is
cleared the first time app.py calls ``st.navigation``; a page that finds it
still set clears it and reruns, so the rerun goes through app.py.
"""

from __future__ import annotations

import streamlit as st

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
