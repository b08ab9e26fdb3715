"""Browser test of a real table: upload wine, see its roles, train, explore the 13 columns as bars."""

from __future__ import annotations

import os
import re

from playwright.sync_api import expect

from tests.e2e.conftest import new_context, wait_for_app, wait_for_run_end
from tests.unit.test_columns import WINE_COLUMNS, wine_csv

TRAIN_TIMEOUT_MS = 240_000


def test_wine_upload_models_13_columns_with_class_as_label_trains_and_explores(app_url, browser):
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{app_url}/data")
    wait_for_app(page)
    page.get_by_role("tab", name=re.compile("Upload")).click()
    page.locator("[data-testid='stFileUploader'] input[type=file]").first.set_input_files(
        files=[{"name": "wine.csv", "mimeType": "text/csv", "buffer": wine_csv()}]
    )
    expect(page.get_by_text("Modelled columns (13 of 13 numeric)")).to_be_visible(timeout=30_000)
    wait_for_app(page)
    chooser = page.locator(".st-key-data_upload_columns")
    for name in WINE_COLUMNS:
        expect(chooser).to_contain_text(name)
    expect(page.get_by_role("combobox", name="Label (colour only, never modelled)")).to_have_value("class")
    expect(page.get_by_text(re.compile(r"Read 178 rows × 14 columns: comma-separated"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"PCA of the 13 standardized columns"))).to_be_visible()
    # What must not happen: "class" offered as a modelled column, or a yellow warning for a clean file.
    expect(chooser).not_to_contain_text(re.compile(r"\bclass\b"))
    expect(page.locator("[data-testid='stAlertContentWarning']")).to_have_count(0)
    if os.environ.get("LL_SHOTS"):
        page.screenshot(path=os.path.join(os.environ["LL_SHOTS"], "data-upload-wine.png"), full_page=True)
    page.get_by_role("button", name="Use this dataset").last.click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"Active dataset: wine.csv.*178 rows × 13 columns"))).to_be_visible()

    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_test_id("stSidebarNavItems").get_by_role(
        "link", name="Train"
    ).click()  # a new URL would start a new session
    wait_for_app(page)
    epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
    epochs.fill("20")
    epochs.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Start").click()
    wait_for_run_end(page, TRAIN_TIMEOUT_MS)

    sidebar.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Explore").click()
    wait_for_app(page)
    pad = page.locator(".ll-latent canvas.ll-fg").first
    expect(pad).to_be_visible(timeout=30_000)
    view = page.locator(".ll-view canvas.ll-fg").first
    expect(view).to_be_visible()
    # The bar view names every column in full on hover, with the data's range.
    box = view.bounding_box()
    view.hover(position={"x": box["width"] / 2, "y": 10 + 11.5 * min(34, (box["height"] - 24) / 13)})
    expect(view).to_have_attribute(
        "title", re.compile(r"^od280/od315_of_diluted_wines: decoded .+; data from ")
    )
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    if os.environ.get("LL_SHOTS"):
        page.screenshot(path=os.path.join(os.environ["LL_SHOTS"], "explore-wine-bars.png"), full_page=True)
    context.close()
