"""The running dashboard in a real browser: Debian's chromium driven by playwright.

Each browser signs in first (a test user of support.sign_in); the all-sites user unless a test
says otherwise.

Screenshots of every page are saved under test-artifacts/screenshots/ (git-ignored) for a
reviewer to look at.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
from playwright.sync_api import Page, sync_playwright
from support.paths import ROOT
from support.sign_in import ALL_SITES_USER, PASSWORD, SITE_USER, SITE_USERS_SITE

from carepath.charts.labels import CodeLabels
from carepath.publish import disclosure, reader

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

# How long a page may take to appear. Generous: the suite runs the Spark build and the other
# engines' tests beside this one on two cores, and a slow page is not what these tests judge
# (the render times are measured by `make bench-dashboard`).
PAGE_WAIT_MS = 180_000


def sign_in(page: Page, name: str = ALL_SITES_USER, password: str = PASSWORD) -> None:
    """Fill in and send the sign-in form the page shows."""
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def browser(running_dashboard):
    url, settings = running_dashboard
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser, url, settings
        finally:
            browser.close()


def new_page(browser, url: str, user: str, path: str = "") -> Page:
    """A page in a browser context of its own, signed in as `user` on `path`."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000},
                               accept_downloads=True).new_page()
    page.goto(f"{url}/{path}")
    sign_in(page, user)
    page.locator('[data-testid="stSidebar"]').get_by_text(f"Signed in as {user}").wait_for(
        timeout=PAGE_WAIT_MS)
    return page


@pytest.fixture
def page(browser):
    browser, url, settings = browser
    yield new_page(browser, url, ALL_SITES_USER), url, settings


def _tile(page: Page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]', has_text=label)
    metric.wait_for(timeout=PAGE_WAIT_MS)
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
        page.get_by_role("heading", name=title).wait_for(timeout=PAGE_WAIT_MS)
        if name == "overview":
            page.locator("table.carepath-matrix").wait_for(timeout=PAGE_WAIT_MS)
        elif name == "data-quality":
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=PAGE_WAIT_MS)
        else:  # every chart page draws at least one chart (Vega, once its data has arrived)
            page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(timeout=PAGE_WAIT_MS)
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

    # The same link in a fresh browser: after signing in, the same view; and the filter
    # follows to another page.
    fresh = page.context.browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    fresh.goto(page.url)
    sign_in(fresh)
    fresh.get_by_text("Site BRA", exact=True).wait_for(timeout=PAGE_WAIT_MS)
    assert _tile(fresh, "Referrals received") == f"{int(bra.referrals_received):,}"
    fresh.goto(f"{url}/waiting-list?site=BRA")
    fresh.get_by_role("heading", name=PAGES["waiting-list"]).wait_for(timeout=PAGE_WAIT_MS)
    site_filter = fresh.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]',
                                has_text="Site").first
    chips = site_filter.locator('[role="group"][aria-label="Selected values"] [data-tag]')
    chips.first.wait_for(timeout=30_000)
    assert [c.get_attribute("aria-label") for c in chips.all()] == ["BRA"]

    # The overview has a path of its own too: /overview opens it, with the link's filters.
    fresh.goto(f"{url}/overview?site=BRA&site=CAR")
    fresh.get_by_role("heading", name=PAGES[""]).wait_for(timeout=PAGE_WAIT_MS)
    assert fresh.get_by_text("Page not found").count() == 0
    fresh.wait_for_function("() => window.location.search.includes('site=CAR')",
                            timeout=30_000)
    assert parse_qs(urlparse(fresh.url).query)["site"] == ["BRA", "CAR"]


@pytest.mark.browser
def test_a_cell_of_the_performance_matrix_opens_its_chart(page):
    page, url, _ = page
    page.goto(url)
    cell = page.locator('table.carepath-matrix a[href*="indicator_access=Seen+within"]'
                        '[href*="site=CAR"]')
    cell.wait_for(timeout=PAGE_WAIT_MS)
    cell.click()
    page.get_by_text("CAR, Seen within the priority's target").wait_for(timeout=PAGE_WAIT_MS)
    assert "/referral-pathway" in page.url
    page.get_by_text("Funnel plot of seen within").wait_for(timeout=30_000)


def _downloads(page: Page, folder: Path) -> list[Path]:
    """Click every "Download CSV" button on the page; the files it saved."""
    saved = []
    buttons = page.get_by_role("button", name="Download CSV")
    for index in range(buttons.count()):
        with page.expect_download(timeout=30_000) as download:
            buttons.nth(index).click()
        path = folder / f"{len(saved)}-{download.value.suggested_filename}"
        download.value.save_as(path)
        saved.append(path)
    return saved


def _wait_for_page(page: Page, title: str) -> None:
    page.get_by_role("heading", name=title).wait_for(timeout=PAGE_WAIT_MS)
    page.locator('[data-testid="stDataFrame"], [data-testid="stAlert"]').first.wait_for(
        timeout=PAGE_WAIT_MS)
    page.wait_for_timeout(1500)  # the page's last elements arrive


@pytest.mark.browser
def test_nothing_shows_before_sign_in_and_a_wrong_password_is_refused(browser):
    browser, url, _ = browser
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/waiting-list")
    page.get_by_role("heading", name="carepath: sign in").wait_for(timeout=PAGE_WAIT_MS)
    assert page.locator('[data-testid="stDataFrame"], [data-testid="stMetric"]').count() == 0
    assert page.get_by_role("link", name="Waiting list").count() == 0, "no page is listed"
    sign_in(page, ALL_SITES_USER, "not the password")
    page.get_by_text("Unknown user name or wrong password.").wait_for(timeout=30_000)
    sign_in(page, ALL_SITES_USER)
    # The page the link asked for, and a reload keeps the sign-in.
    page.get_by_role("heading", name=PAGES["waiting-list"]).wait_for(timeout=PAGE_WAIT_MS)
    page.reload()
    page.get_by_role("heading", name=PAGES["waiting-list"]).wait_for(timeout=PAGE_WAIT_MS)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="carepath: sign in").wait_for(timeout=30_000)
    page.reload()
    page.get_by_role("heading", name="carepath: sign in").wait_for(timeout=PAGE_WAIT_MS)


@pytest.mark.browser
def test_a_site_user_finds_no_other_sites_data_on_any_page_or_download(browser, tmp_path):
    browser, url, _ = browser
    page = new_page(browser, url, SITE_USER)
    others = re.compile(r"\b(ASH|CAR|DEN)\b")
    checked = 0
    for path, title in PAGES.items():
        page.goto(f"{url}/{path}?site=ASH&site=CAR")  # a link naming other sites
        _wait_for_page(page, title)
        text = page.locator("body").inner_text()
        assert not others.search(text), (path, others.search(text))
        # No network total; a funnel's centre line is the network's proportion
        # (docs/reference/access.md).
        assert not re.search(r"\bNetwork\b(?! proportion)", text), path
        for csv in _downloads(page, tmp_path / (path or "overview")):
            content = csv.read_text()
            assert not others.search(content), (csv.name, others.search(content))
            checked += 1
    assert checked >= 7, "every page has downloads to check"
    assert SITE_USERS_SITE in text


@pytest.mark.browser
def test_a_download_is_readable_and_gives_staff_the_exact_figures(page, tmp_path):
    page, url, settings = page
    waiting = reader.waiting_now_by_site(settings.published_path)
    small = waiting[(waiting.pathways_waiting > 0) & (waiting.pathways_waiting < 5)]
    words = CodeLabels(reader.code_labels(settings.published_path)).of("priority")
    assert not small.empty, "the demo has sites with fewer than 5 urgent waiters"
    page.goto(f"{url}/waiting-list")
    _wait_for_page(page, PAGES["waiting-list"])
    with page.expect_download(timeout=30_000) as download:
        page.locator('[data-testid="stDownloadButton"]').first.get_by_role(
            "button", name="Download CSV").click()
    csv = tmp_path / download.value.suggested_filename
    download.value.save_as(csv)
    lines = csv.read_text().splitlines()
    assert csv.name == "waiting-now-by-site.csv"
    assert lines[0].startswith("Site,Priority,Waiting,Within target")
    rows = [line.split(",") for line in lines[1:]]
    # Staff work from exact figures, the few urgent waiters included (a published audience's
    # downloads are disclosed: tests/dashboard).
    for row in small.itertuples():
        [shown] = [r for r in rows if r[:2] == [row.site_code, words(row.priority)]]
        assert shown[2] == str(row.pathways_waiting)
        assert float(shown[3]) == pytest.approx(row.prop_waiting_within_target, abs=1e-3)

    # Switched to figures for sharing, the same table downloads as it may leave the service,
    # and says so in its name.
    page.goto(f"{url}/waiting-list?sharing=true")
    _wait_for_page(page, PAGES["waiting-list"])
    with page.expect_download(timeout=30_000) as download:
        page.locator('[data-testid="stDownloadButton"]').first.get_by_role(
            "button", name="Download CSV for sharing").click()
    csv = tmp_path / download.value.suggested_filename
    download.value.save_as(csv)
    assert csv.name == "waiting-now-by-site-for-sharing.csv"
    shared = pd.read_csv(csv, dtype=str)
    for row in small.itertuples():
        [waiting_shared] = shared.Waiting[(shared.Site == row.site_code)
                                          & (shared.Priority == words(row.priority))]
        assert waiting_shared == "*", (row.site_code, row.priority, waiting_shared)
    numbers = shared.Waiting[~shared.Waiting.isin(["*", disclosure.COMPLEMENT])]
    assert len(numbers) > 0 and all(int(n.replace(",", "")) % 5 == 0 for n in numbers)


@pytest.mark.browser
def test_selecting_a_site_row_lists_the_referrals_behind_it(page):
    page, url, settings = page
    performance = reader.site_performance(settings.published_path)
    sites = performance[~performance.is_network_total].reset_index(drop=True)
    page.goto(url)
    _tile(page, "Referrals received")
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # The row's selection box is at its left edge; rows are 35 px under a 35 px header.
    row = 2
    page.mouse.click(box["x"] + 15, box["y"] + 35 * (row + 1) + 17)
    site = sites.site_code[row]
    heading = page.get_by_text(re.compile(f"^Referrals received at {site}: "))
    heading.wait_for(timeout=30_000)
    assert heading.inner_text().startswith(
        f"Referrals received at {site}: {int(sites.referrals_received[row]):,} referral rows")


def _click_a_point(page: Page, chart) -> bool:
    """Click the first point of a Vega chart found under the mouse (its tooltip shows the
    point's month and variation): the chart is drawn on a canvas, with no element per point."""
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    box = chart.bounding_box()
    tooltip = page.locator("#vg-tooltip-element")
    for down in range(8, 90, 2):
        for across in range(5, 95, 2):
            x = box["x"] + box["width"] * across / 100
            y = box["y"] + box["height"] * down / 100
            page.mouse.move(x, y)
            if tooltip.count() and tooltip.is_visible() and "Variation" in tooltip.inner_text():
                page.mouse.click(x, y)
                return True
    return False


@pytest.mark.browser
def test_clicking_a_months_point_lists_the_referrals_behind_it(page):
    page, url, settings = page
    page.goto(f"{url}/waiting-list")
    page.get_by_text("Select a month's point to list the referrals behind it.").wait_for(
        timeout=PAGE_WAIT_MS)
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    assert _click_a_point(page, charts.nth(charts.count() - 1)), "no point found to click"
    heading = page.get_by_text(re.compile(r"^Network, referrals received \(demand\), "))
    heading.wait_for(timeout=30_000)
    words = heading.inner_text()
    month = pd.Timestamp(re.search(r"\(demand\), (\w+ \d{4}):", words).group(1))
    points = reader.spc_points(settings.published_path, None, "referrals_received")
    value = points[pd.to_datetime(points.indicator_month) == month].value.iloc[0]
    assert f": {int(value):,} referral rows" in words
