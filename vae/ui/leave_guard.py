"""Ask before the tab is reloaded or closed while the session holds a model that is not saved.

A session's model lives in the server's memory for that browser tab only:
pressing F5 after training starts a new session and the model is gone. The
browser's own "Leave site?" prompt (a ``beforeunload`` handler) gives the user
the chance to stay and download the run bundle first. A tiny custom component
(no iframe, nothing shown) keeps the page's flag in step with the session.
"""

from __future__ import annotations

import streamlit as st

from vae.ui import state

_JS = """
export default function (component) {
  // One handler per page; the flag follows the latest render of the app.
  window.__llUnsavedModel = Boolean(component.data.unsaved);
  if (window.__llLeaveGuardInstalled) return;
  window.__llLeaveGuardInstalled = true;
  window.addEventListener("beforeunload", (event) => {
    if (!window.__llUnsavedModel) return;
    event.preventDefault();
    event.returnValue = "";  // Chromium shows its prompt only when this is set
  });
}
"""

_COMPONENT = st.components.v2.component(
    "ll_leave_guard", html='<div class="ll-leave-guard"></div>', css=".ll-leave-guard{display:none}", js=_JS
)


def render() -> None:
    """Arm the prompt when the session holds an unsaved model (disarm it otherwise)."""
    _COMPONENT(key="ll_leave_guard", data={"unsaved": state.unsaved_model()}, height=0)
