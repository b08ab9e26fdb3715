"""F5 after training asks first: the browser's "Leave site?" prompt guards an unsaved model.

A session's model lives only in the server's memory for that tab. With a model
trained and not downloaded, reloading must raise the browser's beforeunload
prompt (staying keeps the model); once the run bundle is downloaded, reloading
goes ahead without a prompt. What must NOT happen: a prompt with no model.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app, wait_for_run_end

pytestmark = pytest.mark.slow

TRAIN_TIMEOUT_MS = 240_000


def armed(page) -> bool:
    return page.evaluate("() => window.__llUnsavedModel === true")


def test_reload_asks_while_a_model_is_unsaved_and_not_after_download(app_url, page):
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # "Stay on page"

    page.on("dialog", on_dialog)
    page.goto(f"{app_url}/train")
    wait_for_app(page)
    page.get_by_role("button", name=re.compile("Use two moons")).click()
    wait_for_app(page)
    expect(page.get_by_role("button", name="Start")).to_be_visible()
    assert not armed(page)  # no model yet: nothing to lose
    page.get_by_role("button", name="Start").click()
    sidebar = page.locator("[data-testid='stSidebar']")
    wait_for_run_end(page, TRAIN_TIMEOUT_MS)
    page.wait_for_function("() => window.__llUnsavedModel === true", timeout=30_000)  # armed

    # F5: the browser asks; the user stays, and the model is still there.
    page.evaluate("() => { location.reload(); }")  # what F5 does (a key press is not a reload headless)
    for _ in range(150):  # the prompt comes within moments (later on a busy machine)
        if dialogs:
            break
        page.wait_for_timeout(200)
    page.wait_for_timeout(1000)  # a second prompt would come at once
    assert dialogs == ["beforeunload"]
    expect(sidebar.get_by_text(re.compile(r"Model: VAE · finished"))).to_be_visible()

    # Download the bundle on the Runs page: now a reload loses nothing and does not ask.
    page.get_by_role("link", name=re.compile(r"Runs$")).first.click()
    wait_for_app(page)
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("Download run bundle")).click()
    assert download.value.suggested_filename.endswith(".zip")
    wait_for_app(page)
    page.wait_for_function("() => window.__llUnsavedModel === false", timeout=30_000)
    with page.expect_navigation():
        page.evaluate("() => { location.reload(); }")  # as F5; a prompt would keep the page instead
    wait_for_app(page)
    assert dialogs == ["beforeunload"]  # no second prompt
