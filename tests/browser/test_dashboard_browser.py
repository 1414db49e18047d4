"""The running dashboard in a real browser: Debian's chromium driven by playwright."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import sync_playwright

from carepath.publish import reader

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.mark.browser
def test_browser_shows_the_published_referral_count(running_dashboard, tmp_path):
    url, settings = running_dashboard
    performance = reader.site_performance(settings.published_path)
    network = performance[performance.is_network_total].iloc[0]
    expected = f"{int(network.referrals_received):,}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            metric = page.locator('[data-testid="stMetric"]', has_text="Referrals received")
            metric.wait_for(timeout=60_000)
            value = metric.locator('[data-testid="stMetricValue"]').inner_text()
            assert value == expected
            # Readers deploy nothing: Streamlit's Deploy button and developer menu are gone.
            assert page.get_by_text("Deploy", exact=True).count() == 0
            assert page.locator('[data-testid="stMainMenu"]').count() == 0
            page.get_by_text("Median days from receipt to triage").wait_for(timeout=30_000)
            # The top finding's XmR chart is drawn, and its Making Data Count icon (an SVG
            # data URI) decodes to an image in a real browser.
            icon = page.locator('img[alt*="cause"]').first
            icon.wait_for(timeout=30_000)
            assert icon.evaluate("img => img.complete && img.naturalWidth") == 32
            page.get_by_text(": XmR chart").wait_for(timeout=30_000)
            assert page.locator(".vega-embed").count() >= 3
            page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
        finally:
            browser.close()
