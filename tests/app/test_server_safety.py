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


def test_a_fragment_run_drops_every_delta_the_full_run_before_it_drew_inside_the_fragment():
    """The white page at the end of a training run: no element reaches the browser as a bare cache
    reference, so a polling fragment's run that starts while the full run before it is still queued
    leaves none of that run's fragment deltas behind without their container (see config.toml)."""
    from streamlit import config
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.forward_msg_cache import create_reference_msg, populate_hash_if_needed
    from streamlit.runtime.forward_msg_queue import ForwardMsgQueue

    def delta(path: list[int], chart: bool) -> ForwardMsg:
        msg = ForwardMsg()
        msg.metadata.delta_path[:] = path
        msg.delta.fragment_id = "live_view"
        if chart:
            msg.delta.new_element.markdown.body = "x" * 200_000  # a live chart's size, and more
        else:
            msg.delta.add_block.SetInParent()
        populate_hash_if_needed(msg)
        # As ScriptRunContext.enqueue sends it when the browser already holds the message.
        return create_reference_msg(msg) if msg.metadata.cacheable else msg

    def left_after_fragment_run_starts() -> list[list[int]]:
        queue = ForwardMsgQueue()
        for msg in (delta([0, 3, 1, 2], chart=False), delta([0, 3, 1, 2, 0], chart=True)):
            queue.enqueue(msg)
        queue.clear(retain_lifecycle_msgs=True, fragment_ids_this_run=["live_view"])
        return [list(msg.metadata.delta_path) for msg in queue.flush()]

    option = "global.minCachedMessageSize"
    current = config.get_option(option)
    try:
        # Streamlit's default: the chart's reference outlives its container (the bug's cause).
        config.set_option(option, config.get_config_options()[option].default_val)
        assert left_after_fragment_run_starts() == [[0, 3, 1, 2, 0]]
        config.set_option(option, CONFIG["global"]["minCachedMessageSize"])  # this app's
        assert left_after_fragment_run_starts() == []
    finally:
        config.set_option(option, current)
