"""Shared Playwright fixtures for browser tests, modeled on Streamlit's own e2e suite.

- ``app_url`` (module scope): ``python -m vae app`` (streamlit run app.py) on a free port, in its own
  process group, killed at teardown; ready when ``/_stcore/health`` answers ok.
- ``browser`` (session scope): Debian's Chromium at /usr/bin/chromium, headless.
  Playwright's own browser download does not work here, so we never use it.
- ``page`` (function scope): a fresh context (1400 x 1000) per test.
- ``wait_for_app(page)``: wait until the script run has finished.

Every test under tests/e2e is marked ``e2e`` (``pytest -m "not e2e"`` skips them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import appserver
from vae.training.pool import worker_processes

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(appserver.CHROMIUM)
APP_READY = appserver.APP_READY
SERVER_START_TIMEOUT = 90.0  # seconds; a cold start on a busy 2-core machine


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


@pytest.fixture
def page(browser):
    """A fresh page in a new browser context (no shared cookies or storage)."""
    context = appserver.new_context(browser, timeout_s=30)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until the app has rendered and its script run has finished."""
    page.wait_for_selector(APP_READY, timeout=timeout)


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
