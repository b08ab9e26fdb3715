"""Open another page from the browser once the current run has finished (Home's tour hand-over).

``st.switch_page`` called while fragments poll (``run_every``) can leave the
new page blank: a stale auto-rerun of the old page's fragment interrupts the
new page's first run (seen on Streamlit 1.67 in about one tour in two). So the
hand-over is done by the browser instead: a tiny custom component waits until
the app is idle (no script running, every poll stopped) and then clicks the
page's link in the sidebar navigation — the same client-side navigation as a
user's click.
"""

from __future__ import annotations

import streamlit as st

_JS = """
export default function (component) {
  const { parentElement, data } = component;
  const root = parentElement.querySelector(".ll-handover");
  if (!root || root.__llDone) return;
  root.__llDone = true;
  const app = () => document.querySelector("[data-testid='stApp']");
  let idle = 0;
  const timer = setInterval(() => {
    const state = app() ? app().getAttribute("data-test-script-state") : null;
    idle = state === "notRunning" ? idle + 1 : 0;
    if (idle < 3) return;  // idle for ~0.6 s: the page's run and its polls are over
    clearInterval(timer);
    const links = document.querySelectorAll("[data-testid='stSidebarNav'] a");
    for (const a of links) {
      const path = new URL(a.href, window.location.href).pathname.replace(/\\/+$/, "");
      if (path.endsWith("/" + data.url_path)) { a.click(); return; }
    }
  }, 200);
}
"""

_COMPONENT = st.components.v2.component(
    "ll_handover", html='<div class="ll-handover"></div>', css=".ll-handover{display:none}", js=_JS
)


def go_to(url_path: str) -> None:
    """Navigate to the page at ``url_path`` ("explore") once the app is idle."""
    _COMPONENT(key="ll_handover", data={"url_path": url_path}, height=0)
