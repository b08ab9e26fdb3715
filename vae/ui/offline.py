"""No outbound lookups from the server, whatever a request carries.

Streamlit's WebSocket origin check (``server_util.is_url_from_allowed_origins``,
checked on 1.67) compares a foreign ``Origin`` with this machine's own
addresses, found by ``net_util.get_internal_ip`` (a UDP socket "connected" to
8.8.8.8) and ``net_util.get_external_ip`` (an HTTP request to
checkip.amazonaws.com, repeated on every such request while it fails, as it
does offline). No setting skips them: ``server.enableCORS = false`` would
accept every origin instead. This server listens on 127.0.0.1 only, so neither
address can be where a legitimate page comes from; answering "unknown" (None,
which the check skips) keeps the decision the same and makes no lookup.

``python -m vae app`` (the README's way to start) calls ``apply()`` before the
server starts, so no request, not even a first one with a foreign Origin before
any page was opened, makes a lookup (tests/e2e/test_origin_lookup.py). app.py
calls it too, which covers plain ``streamlit run app.py`` once its first
session has run; same-origin connections, the app's own, never reach the lookup.
"""

from __future__ import annotations


def apply() -> None:
    """Make Streamlit's own-address lookups answer None without touching the network."""
    try:
        from streamlit import net_util
    except ImportError:  # a Streamlit without this module has nothing to patch
        return
    for name in ("get_external_ip", "get_internal_ip"):
        if hasattr(net_util, name):
            setattr(net_util, name, lambda: None)
