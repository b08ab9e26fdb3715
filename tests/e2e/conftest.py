"""Shared Playwright fixtures for browser tests, modeled on Streamlit's own e2e suite.

- ``app_url`` (module scope): ``python -m vae app`` (streamlit run app.py) on a free port, in its own
  process group, killed at teardown; ready when ``/_stcore/health`` answers ok.
- ``browser`` (session scope): Debian's Chromium at /usr/bin/chromium, headless.
  Playwright's own browser download does not work here, so we never use it.
- ``page`` (function scope): a fresh context (1400 x 1000) per test (``new_context``).
- ``wait_for_app(page)``: wait until the script run has finished, and the one the last click or
  key press asked for has begun and finished too (on a busy machine the server answers late).
- ``expect`` waits up to 30 s (Playwright's default of 5 s is too short for a rerun under load).

Every test under tests/e2e is marked ``e2e`` (``pytest -m "not e2e"`` skips them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench import appserver
from vae.training.pool import worker_processes

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(appserver.CHROMIUM)
APP_READY = appserver.APP_READY
SERVER_START_TIMEOUT = 90.0  # seconds; a cold start on a busy 2-core machine
# Every expect(...) polls this long: a rerun on a busy 2-core machine (CI, load 12) takes seconds,
# and Playwright's 5 s default made checks of a rerun's result fail there. A check that never
# holds still fails.
EXPECT_TIMEOUT_MS = 30_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)

# Installed in every page of ``new_context``: stamps (Date.now) the script state's last change,
# the last start of a run and the last user input, for ``wait_for_app``.
RUN_WATCH = """(() => {
  if (window.__llRun) return;
  const w = window.__llRun = {changedAt: Date.now(), runAt: 0, inputAt: 0, state: null};
  for (const type of ['pointerup', 'keyup', 'change']) {
    window.addEventListener(type, () => { w.inputAt = Date.now(); }, true);
  }
  const check = () => {
    const app = document.querySelector("[data-testid='stApp']");
    const state = app && app.getAttribute('data-test-script-state');
    if (state === w.state) return;
    w.state = state; w.changedAt = Date.now();
    if (state !== 'notRunning') w.runAt = w.changedAt;
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true,
                                                 attributeFilter: ['data-test-script-state']});
  check();
})()"""

# Settled: no run now; the last input's run has begun since (the app answers a click with a run,
# but a late one on a busy machine: "notRunning" right after a click may be the state before it);
# and nothing changed for a moment (a fragment or component often asks for a second run at once).
# An input that asks for no run (a tab, a focus) waits INPUT_GRACE_MS; a page that reruns all the
# time (live training) is taken as settled after SETTLE_MOST_MS of "notRunning" moments.
INPUT_GRACE_MS, QUIET_MS, SETTLE_MOST_MS = 2_000, 400, 5_000
SETTLED = """([since, grace, quiet, most]) => {
  const w = window.__llRun, now = Date.now();
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (!w || now - since > most) return true;
  const answered = w.runAt >= w.inputAt || now - w.inputAt > grace;
  return answered && now - w.changedAt > quiet;
}"""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


free_port = appserver.free_port
_healthy = appserver.healthy


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a fresh Streamlit server running app.py (one per test module)."""
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    try:
        process, url = appserver.start_server(log=log_path, timeout=SERVER_START_TIMEOUT)
    except RuntimeError as error:
        pytest.fail(str(error))
    try:
        yield url
    finally:
        appserver.stop_server(process)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (fails loudly if it is missing)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: browser tests need Debian's chromium "
            "(`apt-get install -y chromium`; .ci/run installs it). "
            "Do not use `playwright install`."
        )
    with appserver.chromium() as browser:
        yield browser


def new_context(browser):
    """A fresh browser session (``appserver.new_context``, 30 s per action) whose pages ``wait_for_app`` can read."""
    context = appserver.new_context(browser, timeout_s=30)
    context.add_init_script(RUN_WATCH)
    return context


@pytest.fixture
def page(browser):
    """A fresh page in a new browser context (no shared cookies or storage)."""
    context = new_context(browser)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until the app has rendered and its script runs have finished (see ``SETTLED``).

    Pages of contexts not made by ``new_context`` only wait for the script state "notRunning".
    """
    page.wait_for_selector(APP_READY, timeout=timeout)
    since = page.evaluate("() => Date.now()")
    page.wait_for_function(
        SETTLED, arg=[since, INPUT_GRACE_MS, QUIET_MS, SETTLE_MOST_MS], timeout=timeout, polling=50
    )


def wait_for_run_end(page, timeout: float = 240_000) -> None:
    """On the Train page: until the sidebar says the model finished and the page has caught up.

    The sidebar's fragment says "finished" first; the Train page's live fragment then reruns the
    whole app (Start becomes "Train again"). A page link clicked in between can be lost to that
    rerun: under load a test clicked Explore and stayed on Train.
    """
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_text(re.compile(r"Model: VAE · finished"))).to_be_visible(timeout=timeout)
    expect(page.get_by_role("button", name="Train again")).to_be_enabled()
    wait_for_app(page)


def in_own_thread(fn, *args, **kwargs):
    """Run ``fn`` in a fresh thread and return its result.

    For code that starts its own ``sync_playwright()`` (the load benchmark, the
    screenshot tool): Playwright's sync API refuses to start in a thread whose
    event loop the session's ``browser`` fixture already runs.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def busy_workers_of(parent: int) -> list[int]:
    """Training processes of ``parent`` that are running a job (not idle or warming up in the pool)."""
    return [pid for pid, name in worker_processes(parent).items() if name == "vae-busy"]


def workers_of(parent: int) -> list[int]:
    """Training processes (python -m vae.training.worker_child) whose parent is ``parent``: busy, idle or warming."""
    return list(worker_processes(parent))
