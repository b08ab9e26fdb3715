"""Compare's queue moves on while the user reads another page.

The flow: two moons -> Compare -> tick four models (two train at once, two wait in the queue) ->
"Train the ticked models" -> straight to Learn, which the user reads without touching it (the
page never reruns) -> the sidebar counts the models done until all four are -> back on Compare,
all four finished their budget and are scored. Before, the queued two started only once the
user came back to Compare.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app
from tests.e2e.test_compare import TRAIN_TIMEOUT_MS, open_compare_with_default_data
from vae.ui.compare_view import MAX_COMPARE_EPOCHS

pytestmark = pytest.mark.slow

# Long enough that the first two are still training when the page shows the queue: with 30, on a
# quiet machine (warm pool) they finished before the check and the queued two had started. 800
# epochs take about 3 s here; Compare's most (two moons, batch 128: 32,000 steps) leaves a margin.
EPOCHS = MAX_COMPARE_EPOCHS


def test_queued_models_train_while_the_user_is_on_another_page(app_url, page):
    open_compare_with_default_data(page, app_url)
    for name in ("Denoising AE", "Sparse AE"):
        page.locator("label", has_text=re.compile(f"^{name}$")).click()  # the label is what shows
        wait_for_app(page)
        expect(page.get_by_role("checkbox", name=name, exact=True)).to_be_checked()
    epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
    epochs.fill(str(EPOCHS))  # no Enter: in a form, Enter submits it (trains) at once
    train = page.get_by_role("button", name=re.compile("Train the ticked models"))
    train.click()
    progress = page.locator(".st-key-ll-compare-progress")
    expect(progress.get_by_text(re.compile(r"^queued · epoch 0/"))).not_to_have_count(0)  # two at once
    expect(train).to_be_disabled()  # a second press would start the models over
    wait_for_app(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_text(re.compile(r"^Compare: "))).to_have_count(0)  # the page shows its own

    page.get_by_role("link", name=re.compile(r"Learn$")).first.click()
    expect(page).to_have_url(re.compile(r"/learn(\?.*)?$"))
    wait_for_app(page)
    # Only the sidebar's poll runs now: it starts the queued models and counts them done.
    expect(sidebar.get_by_text("Compare: 4 of 4 models done")).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    expect(page).to_have_url(re.compile(r"/learn(\?.*)?$"))  # the user stays where they were
    expect(page.get_by_role("heading", level=1).first).not_to_contain_text("Compare")

    page.get_by_role("link", name=re.compile(r"Compare$")).first.click()
    wait_for_app(page)
    expect(progress.get_by_text(f"finished · epoch {EPOCHS}/{EPOCHS}")).to_have_count(4)
    metrics = page.locator(".st-key-ll-compare-metrics")
    expect(metrics).to_be_visible()
    headers = metrics.locator("[data-testid='stTable'] thead th")
    for name in ("Autoencoder", "VAE", r"Denoising AE \(σ=0\.2\)", r"Sparse AE \(λ=0\.01\)"):
        expect(headers.filter(has_text=re.compile(f"^{name}$"))).to_have_count(1)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
