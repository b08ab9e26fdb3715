"""The server dies (kill -9) under an open tab mid-training, and comes back on the same port.

The tab must show Streamlit's own reconnecting status while the server is
gone, the orphaned training process must end by itself, and after the restart
the same tab works again with a clear, new session: no exception boxes, no
model (a new server knows nothing of the old session; only the settings in
the address bar's shared-link parameters come back), and training works.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench import appserver
from tests.e2e.conftest import (
    SERVER_START_TIMEOUT,
    busy_workers_of,
    free_port,
    new_context,
    wait_for_app,
    workers_of,
)

pytestmark = pytest.mark.slow

EPOCH = re.compile(r"Epoch (\d+) / \d+")


def _start_server(port: int, log: Path) -> subprocess.Popen:
    """A server on this very port (the restart test brings it back where the tab expects it)."""
    return appserver.start_server(port=port, log=log, timeout=SERVER_START_TIMEOUT)[0]


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_server_restart_under_an_open_tab(browser, tmp_path):
    port = free_port()
    log = tmp_path / "server.log"
    server = _start_server(port, log)
    context = new_context(browser)
    page = context.new_page()
    try:
        # Train a bit (a long run, so it is still training when the server dies).
        page.goto(f"http://127.0.0.1:{port}/train")
        wait_for_app(page)
        page.get_by_role("button", name=re.compile("Use two moons")).click()
        wait_for_app(page)
        epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
        epochs.fill("5000")
        epochs.press("Enter")
        wait_for_app(page)
        page.get_by_role("button", name="Start", exact=True).click()
        expect(page.locator("[data-testid='stProgress']").first).to_contain_text(EPOCH, timeout=120_000)
        sidebar = page.locator("[data-testid='stSidebar']")
        expect(sidebar).to_contain_text("Dataset: Two moons")
        assert len(busy_workers_of(server.pid)) == 1
        workers = workers_of(server.pid)  # the busy one and the warm pool

        # The server dies without any cleanup.
        _kill(server)
        # The tab says it lost the server (Streamlit's own connection-error dialog; with
        # client.toolbarMode = "minimal" there is no status widget), and nothing crashes.
        app = page.locator("[data-testid='stApp']")
        expect(app).to_have_attribute(
            "data-test-connection-state", re.compile("PINGING_SERVER|DISCONNECTED"), timeout=30_000
        )
        dialog = page.locator("[data-testid='stDialog']")
        expect(dialog).to_contain_text("Connection error", timeout=30_000)
        expect(dialog).to_contain_text("not responding")
        # The orphaned training processes (busy and idle) notice their parent is gone and end.
        deadline = (
            time.monotonic() + 60
        )  # a process still importing TensorFlow takes longer on a busy machine
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers), "a training process outlived its server"

        # The server comes back on the same port; the same tab reconnects by itself.
        server = _start_server(port, log)
        expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=60_000)
        expect(dialog).to_have_count(0, timeout=30_000)
        wait_for_app(page)
        # A clear state: a new session. The old run is gone ("not trained yet"); the dataset is the one
        # the address bar's shared-link parameters name (vae/ui/share.py rebuilds it), else none.
        url_has_data = "data=" in page.url or "preset=" in page.url
        expect(sidebar).to_contain_text(
            "Model: not trained yet" if url_has_data else "Dataset: none yet", timeout=30_000
        )
        if url_has_data:
            expect(sidebar).to_contain_text("Dataset: Two moons")
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
        assert busy_workers_of(server.pid) == []

        # And it works again: training starts in the new session.
        if not url_has_data:
            page.get_by_role("button", name=re.compile("Use two moons")).click()
            wait_for_app(page)
        page.get_by_role("button", name="Start", exact=True).click()
        expect(page.locator("[data-testid='stProgress']").first).to_contain_text(EPOCH, timeout=120_000)
        assert len(busy_workers_of(server.pid)) == 1
        page.get_by_role("button", name="Stop", exact=True).click()
        wait_for_app(page)
        expect(sidebar).to_contain_text(re.compile(r"Model: VAE · stopped"), timeout=30_000)
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
    finally:
        context.close()
        _kill(server)
