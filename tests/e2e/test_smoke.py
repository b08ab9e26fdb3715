"""Smoke test in a real browser: the app starts, every page opens, nothing raises."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

PAGE_TITLES = ["Home", "Data", "Train", "Explore", "Compare", "Learn"]


def test_home_shows_title(app_url, page):
    page.goto(app_url)
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Latent Lab").first).to_be_visible()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def test_every_page_opens_from_the_sidebar(app_url, page):
    page.goto(app_url)
    wait_for_app(page)
    nav = page.locator("[data-testid='stSidebarNav']")
    expect(nav).to_be_visible()
    for title in PAGE_TITLES:
        nav.get_by_role("link", name=re.compile(rf"{title}$")).click()
        wait_for_app(page)
        # The URL follows the page (Home is the root), and the page rendered without an exception box.
        if title != "Home":
            expect(page).to_have_url(re.compile(rf"/{title.lower()}$"))
        expect(page.locator("[data-testid='stMain']")).to_be_visible()
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
