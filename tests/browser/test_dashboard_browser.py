"""The running dashboard in a real browser: Debian's chromium driven by playwright.

Screenshots of every page are saved under test-artifacts/screenshots/ (git-ignored) for a
reviewer to look at.
"""

from __future__ import annotations

import shutil
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, sync_playwright
from support.paths import ROOT

from carepath.publish import reader

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PAGES = {  # url path (the default page is the root): the page's title
    "": "Oncology to rehabilitation: where patients wait",
    "bottlenecks": "Where care is held up",
    "referral-pathway": "Referral pathway: from referral to first appointment",
    "waiting-list": "Waiting list: who is waiting, and for how long",
    "adherence": "Adherence: attending and finishing the programme",
    "outcomes": "Outcomes: registry completeness and response",
    "data-quality": "Data quality: deliveries and the validation gate",
}


@pytest.fixture
def page(running_dashboard):
    url, settings = running_dashboard
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000}), url, settings
        finally:
            browser.close()


def _tile(page: Page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]', has_text=label)
    metric.wait_for(timeout=60_000)
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


@pytest.mark.browser
def test_browser_shows_the_published_referral_count(page):
    page, url, settings = page
    performance = reader.site_performance(settings.published_path)
    network = performance[performance.is_network_total].iloc[0]
    page.goto(url)
    assert _tile(page, "Referrals received") == f"{int(network.referrals_received):,}"
    # Readers deploy nothing: Streamlit's Deploy button and developer menu are gone.
    assert page.get_by_text("Deploy", exact=True).count() == 0
    assert page.locator('[data-testid="stMainMenu"]').count() == 0
    # The performance matrix: its Making Data Count icons (SVG data URIs) decode to images.
    icon = page.locator('table.carepath-matrix img[alt*="ommon cause"]').first
    icon.wait_for(timeout=30_000)
    # Drawn at 20 px; decoded, the SVG has its own size of 32.
    assert icon.evaluate("img => img.complete && img.naturalWidth") == 32


@pytest.mark.browser
def test_every_page_draws_and_is_saved_as_a_screenshot(page):
    page, url, _ = page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Streamlit scrolls inside its own container: a tall window shows a whole page at once.
    page.set_viewport_size({"width": 1400, "height": 4000})
    for path, title in PAGES.items():
        name = path or "overview"
        page.goto(f"{url}/{path}")
        page.get_by_role("heading", name=title).wait_for(timeout=60_000)
        if name == "overview":
            page.locator("table.carepath-matrix").wait_for(timeout=60_000)
        elif name == "data-quality":
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
        else:  # every chart page draws at least one chart (Vega, once its data has arrived)
            page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)  # the last charts finish drawing
        assert page.locator('[data-testid="stException"]').count() == 0, name
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest.mark.browser
def test_a_filter_goes_into_the_url_and_a_pasted_link_reproduces_the_view(page):
    page, url, settings = page
    performance = reader.site_performance(settings.published_path)
    bra = performance[performance.site_code == "BRA"].iloc[0]
    page.goto(url)
    _tile(page, "Referrals received")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stMultiSelect"]', has_text="Site").first.click()
    page.get_by_role("option", name="BRA", exact=True).click()
    page.keyboard.press("Escape")
    page.get_by_text("Site BRA", exact=True).wait_for(timeout=30_000)
    page.wait_for_function("() => window.location.search.includes('site=BRA')", timeout=30_000)
    assert parse_qs(urlparse(page.url).query)["site"] == ["BRA"]
    assert _tile(page, "Referrals received") == f"{int(bra.referrals_received):,}"

    # The same link in a fresh browser page: the same view, and it follows to another page.
    fresh = page.context.browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    fresh.goto(page.url)
    fresh.get_by_text("Site BRA", exact=True).wait_for(timeout=60_000)
    assert _tile(fresh, "Referrals received") == f"{int(bra.referrals_received):,}"
    fresh.goto(f"{url}/waiting-list?site=BRA")
    fresh.get_by_role("heading", name=PAGES["waiting-list"]).wait_for(timeout=60_000)
    site_filter = fresh.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]',
                                has_text="Site").first
    chips = site_filter.locator('[role="group"][aria-label="Selected values"] [data-tag]')
    chips.first.wait_for(timeout=30_000)
    assert [c.get_attribute("aria-label") for c in chips.all()] == ["BRA"]


@pytest.mark.browser
def test_a_cell_of_the_performance_matrix_opens_its_chart(page):
    page, url, _ = page
    page.goto(url)
    cell = page.locator('table.carepath-matrix a[href*="indicator_access=Seen+within"]'
                        '[href*="site=CAR"]')
    cell.wait_for(timeout=60_000)
    cell.click()
    page.get_by_text("CAR, Seen within the priority's target").wait_for(timeout=60_000)
    assert "/referral-pathway" in page.url
    page.get_by_text("Funnel plot of seen within").wait_for(timeout=30_000)
