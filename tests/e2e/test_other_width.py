"""Train on two moons, then pick a 4-column CSV: every page says so, and one click trains on it.

What a user does: a model trained on 2 columns, then a new dataset with 4. No
page may show an exception box; each says what happened; the sidebar's button
opens Train and starts a model that reads the 4 columns.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app, wait_for_run_end

pytestmark = pytest.mark.slow

TRAIN_TIMEOUT_MS = 240_000
PAGES = ("Home", "Train", "Explore", "Compare", "Learn", "Runs")


def open_page(page, name: str) -> None:
    """Through the app's navigation, as a user does (a new address would start a new session)."""
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=re.compile(f"{name}$")).click()
    wait_for_app(page)


def four_column_csv() -> bytes:
    rng = np.random.default_rng(0)
    rows = rng.normal([5.8, 3.0, 3.8, 1.2], [0.8, 0.4, 1.8, 0.8], size=(150, 4))
    return ("a,b,c,d\n" + "".join(",".join(f"{v:.3f}" for v in row) + "\n" for row in rows)).encode()


def use_upload(page, name: str, content: bytes) -> None:
    """Upload a CSV on the Data page and make it the active dataset."""
    open_page(page, "Data")
    page.get_by_role("tab", name=re.compile("Upload")).click()
    page.locator("[data-testid='stFileUploader'] input[type=file]").first.set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )
    wait_for_app(page)
    page.get_by_role("button", name="Use this dataset").last.click()
    wait_for_app(page)


def test_a_model_of_another_width_is_explained_everywhere_and_retrained_in_one_click(app_url, page):
    page.goto(f"{app_url}/train")
    wait_for_app(page)
    page.get_by_role("button", name=re.compile("Use two moons")).click()
    wait_for_app(page)
    page.get_by_role("button", name="Start").click()
    sidebar = page.locator("[data-testid='stSidebar']")
    wait_for_run_end(page, TRAIN_TIMEOUT_MS)

    use_upload(page, "four.csv", four_column_csv())
    expect(sidebar).to_contain_text("has 4, so the model cannot read it")

    for name in PAGES:
        open_page(page, name)
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
        expect(sidebar).to_contain_text("trained on 2 columns")
        if name not in ("Home", "Compare"):
            expect(page.locator("[data-testid='stMain']")).to_contain_text("trained on 2 columns")

    open_page(page, "Learn")
    sidebar.get_by_role("button", name="Train on this dataset").click()
    expect(page).to_have_url(re.compile(r"/train(\?|$)"), timeout=60_000)
    # At once (the old model's message must not linger while the new one starts), then trained.
    expect(sidebar).not_to_contain_text("trained on 2 columns")
    expect(sidebar.get_by_text(re.compile(r"Model: VAE · finished"))).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    expect(sidebar).not_to_contain_text("trained on 2 columns")
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
