"""A request with a foreign Origin makes the real server look nothing up (vae/ui/offline.py).

Streamlit's origin check would ask checkip.amazonaws.com for this machine's
external address on every such request; offline that lookup fails and the
server logs "Did not auto detect external IP". Against a real server: open the
app once (as the user does), then send WebSocket handshakes with a foreign
Origin. They must still be refused, and the log must show no lookup.
"""

from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.e2e.conftest import wait_for_app
from vae import appserver

pytestmark = pytest.mark.slow

FOREIGN_ORIGIN = "http://attacker.example"
LOOKUP_FAILED = "Did not auto detect external IP"


def test_a_foreign_origin_is_refused_without_an_outbound_lookup(page, tmp_path):
    log = tmp_path / "server.log"
    process, url = appserver.start_server(log=log)
    try:
        page.goto(url)
        wait_for_app(page)  # the app's first session has run
        stream = url.replace("http://", "ws://") + "/_stcore/stream"
        for _ in range(3):  # "on every such request": each one is checked
            with pytest.raises(InvalidStatus) as refused:
                connect(stream, origin=FOREIGN_ORIGIN, open_timeout=10).close()
            assert refused.value.response.status_code == 403
        # The app's own page still connects (same origin).
        page.reload()
        wait_for_app(page)
    finally:
        appserver.stop_server(process)
    assert LOOKUP_FAILED not in log.read_text(errors="replace")
