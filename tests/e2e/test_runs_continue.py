"""Runs -> Continue it, as a user does it: an earlier model trains on, on its own data, on its own charts.

Train two moons (a short run), train a second model on a 4-column upload, then
go back to the first from the Runs page: it becomes current with its own
2-column data again (the page says so), and its epoch count rises past where
it stopped.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app
from tests.e2e.live_view import EPOCH
from tests.e2e.test_other_width import TRAIN_TIMEOUT_MS, four_column_csv, open_page, use_upload

pytestmark = pytest.mark.slow

FIRST_EPOCHS = 30
SECOND_EPOCHS = 12


def set_epochs(page, n: int) -> None:
    epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
    epochs.fill(str(n))
    epochs.press("Enter")
    wait_for_app(page)


def progress_epochs(page) -> tuple[int, int]:
    """(epoch, budget end) shown by the Train page's progress bar."""
    text = page.locator("[data-testid='stProgress']").first.inner_text()
    match = re.search(r"Epoch (\d+) / (\d+)", text)
    assert match, text
    return int(match.group(1)), int(match.group(2))


def test_continue_it_trains_an_earlier_run_on_past_its_epochs(app_url, page):
    sidebar = page.locator("[data-testid='stSidebar']")
    page.goto(f"{app_url}/train")
    wait_for_app(page)
    page.get_by_role("button", name=re.compile("Use two moons")).click()
    wait_for_app(page)
    set_epochs(page, FIRST_EPOCHS)
    page.get_by_role("button", name="Start").click()
    expect(sidebar.get_by_text(re.compile(rf"Model: VAE · finished · epoch {FIRST_EPOCHS}\b"))).to_be_visible(
        timeout=TRAIN_TIMEOUT_MS
    )

    # The page's own rerun at the end of the run has come (a click during it could be lost).
    expect(page.get_by_role("button", name="Train again")).to_be_enabled(timeout=60_000)
    wait_for_app(page)

    # A second model, on data of another width.
    use_upload(page, "four.csv", four_column_csv())
    open_page(page, "Train")
    set_epochs(page, SECOND_EPOCHS)
    page.get_by_role("button", name="Train again").click()
    expect(
        sidebar.get_by_text(re.compile(rf"Model: VAE · finished · epoch {SECOND_EPOCHS}\b"))
    ).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    expect(sidebar).to_contain_text("Dataset: four.csv")
    expect(page.get_by_role("button", name="Train again")).to_be_enabled(timeout=60_000)
    wait_for_app(page)

    # Runs: the first run, on its own dataset's chart, continued.
    open_page(page, "Runs")
    main = page.locator("[data-testid='stMain']")
    main.get_by_role("radiogroup", name="Dataset").get_by_role("radio", name="Two moons").click()
    wait_for_app(page)
    expect(main.get_by_role("radio", name="Two moons")).to_have_attribute("aria-checked", "true")
    wait_for_app(page)
    page.get_by_role("button", name="Continue it").first.click()
    expect(page).to_have_url(re.compile(r"/train(\?|$)"), timeout=60_000)
    wait_for_app(page)
    expect(main).to_contain_text("This run continues on its own dataset")
    expect(main).to_contain_text("four.csv")  # where the active dataset went
    expect(sidebar).to_contain_text("Dataset: Two moons")
    deadline = time.monotonic() + TRAIN_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        if EPOCH.search(page.locator("[data-testid='stProgress']").first.inner_text()):
            epoch, end = progress_epochs(page)
            if epoch > FIRST_EPOCHS:
                break
        time.sleep(0.3)
    epoch, end = progress_epochs(page)
    assert epoch > FIRST_EPOCHS and end == 2 * FIRST_EPOCHS  # its budget again, on top of its epochs
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    expect(sidebar.get_by_text(re.compile(rf"finished · epoch {2 * FIRST_EPOCHS}\b"))).to_be_visible(
        timeout=TRAIN_TIMEOUT_MS
    )
    expect(sidebar).not_to_contain_text("cannot read it")  # never a model on data of another width
