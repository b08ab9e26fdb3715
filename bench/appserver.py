"""Start and stop the app (``python -m vae app``: ``streamlit run app.py`` with no outbound lookups
from its start) for browser tests, benchmarks and screenshots.

One place for the free port, the health check, the process-group start and
stop, and headless Chromium as it works on this offline machine (Debian's
/usr/bin/chromium, no background networking): ``chromium()`` launches it,
``new_context(browser)`` opens a fresh session at the usual window size. No Streamlit import.
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
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
APP_READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
VIEWPORT = {
    "width": 1400,
    "height": 1000,
}  # a laptop screen: the sidebar and a page's two columns side by side


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Headless Debian Chromium (``CHROMIUM_ARGS``) driven by Playwright; closed on exit.

    Playwright's own browser download does not work here, so it is never used.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser: Any, timeout_s: float) -> Any:
    """A fresh browser session (no shared cookies or storage) at ``VIEWPORT``.

    Args:
        browser: a Playwright browser, e.g. from ``chromium()``.
        timeout_s: how long each Playwright action and wait may take unless it says otherwise.
    """
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(timeout_s * 1000)
    return context


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The server is on this machine: its health check never goes through an HTTP proxy from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def healthy(url: str) -> bool:
    """True when the server at ``url`` answers its health check."""
    try:
        with _DIRECT.open(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


# How the README starts the app; ("-m", "streamlit", "run", "app.py") is the plain Streamlit way.
APP_COMMAND = ("-m", "vae", "app")


def start_server(
    *extra_args: str,
    port: int | None = None,
    log: Path | None = None,
    timeout: float = 120.0,
    command: tuple[str, ...] = APP_COMMAND,
) -> tuple[subprocess.Popen, str]:
    """The app as the README starts it (``python -m vae app``) in its own process group; returns
    (process, url) once healthy.

    Args:
        extra_args: more ``streamlit run`` options, e.g. ``"--theme.base", "dark"``.
        port: the port (default: a free one).
        log: where the server's output goes (default: discarded).
        timeout: seconds to wait for the health check.
        command: the Python arguments that start it (default ``APP_COMMAND``).

    Raises:
        RuntimeError: the server exited or did not answer in time (with its log's tail).
    """
    port = port or free_port()
    cmd = [
        sys.executable,
        *command,
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        *extra_args,
    ]
    # Appended: a test that restarts a server on the same port keeps both servers' output.
    with open(log, "ab") if log else contextlib.nullcontext(subprocess.DEVNULL) as out:
        process = subprocess.Popen(
            cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while not healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(process)
            tail = log.read_text(errors="replace")[-2000:] if log else f"exit code {process.poll()}"
            raise RuntimeError(f"streamlit did not start:\n{tail}")
        time.sleep(0.25)
    return process, url


def stop_server(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group, then SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
