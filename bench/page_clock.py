"""Time a click by the page's own clock: from the click to the first frame that shows its answer.

Used by the latency benchmark (``bench.latency``) and by browser tests that wait for a run to end
(tests/e2e/test_runs_in_a_row.py). The clock is ``performance.now`` in the page: the click's time
is taken in the capture phase (before Streamlit's own handler), the answer's at the first
animation frame whose progress text has changed from the text before the click and matches a
pattern. The change matters: "Train again" starts where the last run finished ("Finished · Epoch
56 / 56"), which already matches "Epoch [1-9]", and the same seed finishes on the same text.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROGRESS = "[data-testid='stProgress']"  # the Train page's progress bar, whose text says the run's state

# Set up before the click; kept in ``window`` (Playwright's evaluate would wait for a promise).
_WATCH = """([selector, pattern, flags]) => {
  const re = new RegExp(pattern, flags);
  const text = () => (document.querySelector(selector) || {}).innerText || "";
  const before = text();
  const watch = {clickAt: null, doneAt: null, changed: false};
  window.__llWatch = watch;
  document.addEventListener("click", () => { watch.clickAt = performance.now(); },
                            {capture: true, once: true});
  const check = () => {
    const now = text();
    watch.changed = watch.changed || (watch.clickAt !== null && now !== before);
    if (watch.changed && re.test(now)) watch.doneAt = performance.now();
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}"""


def seconds_until_progress(
    page: Any, click: Callable[[], Any], pattern: str, flags: str = "", timeout_s: float = 60.0
) -> float:
    """Seconds from ``click()`` to the first frame whose progress text changed and matches ``pattern``.

    Args:
        page: a Playwright page showing the Train page.
        click: what the user does, e.g. ``button.click``.
        pattern: a JavaScript regular expression the progress text must match, e.g. ``r"^Paused ·"``.
        flags: the regular expression's flags, e.g. ``"i"``.
        timeout_s: how long to wait for it.

    Raises:
        TimeoutError: the page did not show it within ``timeout_s``; the message has the progress
            text it shows, the start of the page's text and a screenshot's path.
    """
    page.evaluate(_WATCH, [PROGRESS, pattern, flags])
    click()
    try:
        page.wait_for_function("() => window.__llWatch.doneAt !== null", timeout=timeout_s * 1000)
    except Exception as error:  # Playwright's TimeoutError: say what the page shows instead
        shown = page.locator(PROGRESS).first.inner_text() if page.locator(PROGRESS).count() else "-"
        shot = Path(tempfile.gettempdir()) / "page_clock_timeout.png"
        page.screenshot(path=shot, full_page=True)
        body = page.evaluate("() => document.body.innerText.slice(0, 300)")
        raise TimeoutError(
            f"the page never showed {pattern!r} within {timeout_s:g} s; its progress shows {shown!r}; "
            f"at {page.url}, in {shot}, its text: {body!r}"
        ) from error
    return page.evaluate("() => (window.__llWatch.doneAt - window.__llWatch.clickAt) / 1000")
