"""Shared Playwright fixtures for browser tests, modeled on Streamlit's own e2e suite.

- ``app_url`` (module scope): ``streamlit run app.py`` on a free port, in its own
  process group, killed at teardown; ready when ``/_stcore/health`` answers ok.
- ``browser`` (session scope): Debian's Chromium at /usr/bin/chromium, headless.
  Playwright's own browser download does not work here, so we never use it.
- ``page`` (function scope): a fresh context (1400 x 1000) per test.
- ``wait_for_app(page)``: wait until the script run has finished.

Every test under tests/e2e is marked ``e2e`` (``pytest -m "not e2e"`` skips them).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 1000}
APP_READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
SERVER_START_TIMEOUT = 90.0  # seconds; a cold start on a busy 2-core machine


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a fresh Streamlit server running app.py (one per test module)."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _healthy(url):
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with code {process.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy after {SERVER_START_TIMEOUT:.0f}s:\n"
                            f"{log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (fails loudly if it is missing)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: browser tests need Debian's chromium "
                    "(`apt-get install -y chromium`; .ci/run installs it). "
                    "Do not use `playwright install`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    """A fresh page in a new browser context (no shared cookies or storage)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
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
