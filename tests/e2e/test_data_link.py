"""Browser test of a shared link: it opens the Data page with every field set and trains on that data."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

TRAIN_TIMEOUT_MS = 240_000
SHOWN_MS = 30_000  # a loaded machine draws the generator's preview slowly


def test_a_shared_link_fills_the_data_page_and_trains_on_exactly_that_data(app_url, page):
    page.set_default_timeout(30_000)
    page.goto(f"{app_url}/data?data=spirals&n_samples=600&noise=0.2&data_seed=5&param=3&epochs=3")
    wait_for_app(page)
    # Every field of the generator holds the link's value, and the link's dataset is the active one.
    expect(page.get_by_text(re.compile(r"Active dataset: Spirals.*600 rows × 2 columns"))).to_be_visible(
        timeout=SHOWN_MS
    )
    expect(page.get_by_role("combobox", name="Shape")).to_have_value("Spirals", timeout=SHOWN_MS)
    expect(page.get_by_role("spinbutton", name="Number of points")).to_have_value("600", timeout=SHOWN_MS)
    expect(page.get_by_role("spinbutton", name="Seed")).to_have_value("5")
    expect(page.get_by_role("slider", name="Noise")).to_have_value("0.2")
    expect(page.get_by_role("slider", name="Arms")).to_have_value("3")
    # What must not happen: a warning that some of the link was not used.
    expect(page.locator("[data-testid='stAlertContentWarning']")).to_have_count(0)
    # "Use this dataset" keeps the same rows: the form holds exactly the link's settings.
    page.get_by_role("button", name="Use this dataset").click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"Now using Spirals: 600 rows"))).to_be_visible(timeout=SHOWN_MS)

    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Train").click()  # same session
    wait_for_app(page)
    expect(page.get_by_role("spinbutton", name="Epochs", exact=True)).to_have_value("3", timeout=SHOWN_MS)
    page.get_by_role("button", name="Start").click()
    expect(sidebar.get_by_text(re.compile(r"Model: VAE · finished"))).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    expect(sidebar.get_by_text(re.compile(r"Spirals"))).to_be_visible()
    # The address bar still carries the dataset's settings (a copied link rebuilds the same data).
    for part in ("data=spirals", "n_samples=600", "noise=0.2", "data_seed=5", "param=3"):
        assert part in page.url, page.url
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
