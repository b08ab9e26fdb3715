"""What the server shows and does on its own: no tracebacks for users, no outbound lookups."""

from __future__ import annotations

import socket
import tomllib

import requests

from tests.app.conftest import ROOT

CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_unexpected_errors_show_no_details_and_no_links():
    # "none": the browser gets a generic message; type, message and traceback go to the log only.
    assert CONFIG["client"]["showErrorDetails"] == "none"
    assert CONFIG["client"]["showErrorLinks"] is False


def test_once_the_app_ran_a_foreign_origin_is_refused_without_opening_a_socket(app_test, monkeypatch):
    from streamlit.web.server import server_util

    at = app_test("app.py").run()
    assert not at.exception
    attempts: list = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: attempts.append(address))
    monkeypatch.setattr(requests, "get", lambda *args, **kwargs: attempts.append(args))
    assert not server_util.is_url_from_allowed_origins("http://attacker.example")
    assert server_util.is_url_from_allowed_origins("http://localhost:8501")  # the app's own origin
    assert attempts == []
