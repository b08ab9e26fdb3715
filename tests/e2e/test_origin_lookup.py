"""A request with a foreign Origin makes the real server look nothing up (vae/ui/offline.py).

Streamlit's origin check would ask checkip.amazonaws.com for this machine's
external address on every such request; offline that lookup fails and the
server logs "Did not auto detect external IP". Against a real server: open the
app once (as the user does), then send WebSocket handshakes with a foreign
Origin. They must still be refused, and the log must show no lookup. The same
holds from the server's start (``python -m vae app``), before any page is
opened: there the server's HTTP proxy is a local socket that counts every
outbound request, which catches a lookup whether or not this machine is online.
"""

from __future__ import annotations

import socket
import threading

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from bench import appserver
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.slow

FOREIGN_ORIGIN = "http://attacker.example"
LOOKUP_FAILED = "Did not auto detect external IP"
PLAIN_STREAMLIT = ("-m", "streamlit", "run", "app.py")


def refuse_foreign_origins(url: str, times: int = 3) -> None:
    """Send WebSocket handshakes with a foreign Origin; each must be refused with 403."""
    stream = url.replace("http://", "ws://") + "/_stcore/stream"
    for _ in range(times):  # "on every such request": each one is checked
        with pytest.raises(InvalidStatus) as refused:
            connect(stream, origin=FOREIGN_ORIGIN, open_timeout=10, proxy=None).close()
        assert refused.value.response.status_code == 403


class ProxyTrap:
    """A local TCP socket posing as the HTTP(S) proxy: counts the connections made to it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._done.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()  # the request fails at once, as offline

    def close(self) -> None:
        self._done.set()
        self._thread.join()
        self.sock.close()


@pytest.mark.parametrize(
    ("command", "lookups"),
    [(appserver.APP_COMMAND, False), (PLAIN_STREAMLIT, True)],
    ids=["python -m vae app", "control: plain streamlit run"],
)
def test_a_first_request_with_a_foreign_origin_before_any_page_makes_no_lookup(
    tmp_path, monkeypatch, command, lookups
):
    trap = ProxyTrap()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, trap.url)  # inherited by the server: every outbound request comes here
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    log = tmp_path / "server.log"
    process, url = appserver.start_server(log=log, command=command)  # the health check is no page
    try:
        refuse_foreign_origins(url)
    finally:
        appserver.stop_server(process)
        trap.close()
    if lookups:  # the trap sees Streamlit's own lookup when nothing turns it off
        assert trap.connections > 0, "the trap saw no lookup: is it still catching Streamlit's?"
    else:
        assert trap.connections == 0
        assert LOOKUP_FAILED not in log.read_text(errors="replace")


def test_a_foreign_origin_is_refused_without_an_outbound_lookup(page, tmp_path):
    log = tmp_path / "server.log"
    process, url = appserver.start_server(log=log)
    try:
        page.goto(url)
        wait_for_app(page)  # the app's first session has run
        refuse_foreign_origins(url)
        # The app's own page still connects (same origin).
        page.reload()
        wait_for_app(page)
    finally:
        appserver.stop_server(process)
    assert LOOKUP_FAILED not in log.read_text(errors="replace")
