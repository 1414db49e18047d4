"""`carepath pack`: the month's QI pack for the network and each site, as self-contained HTML
and as PDF printed by chromium, under the disclosure policy, read back with pdftotext."""

from __future__ import annotations

import os
import re
import subprocess

import pandas as pd
import pytest
from support.paths import BIN

from carepath.publish import reader
from carepath.publish.disclosure_policies import policy_named


def _carepath(settings, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "CAREPATH_DATA_DIR": str(settings.data_dir)}
    return subprocess.run([str(BIN / "carepath"), *args], env=env, capture_output=True,
                          text=True, timeout=600)


def _text(pdf) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.fixture(scope="module")
def packs(pipeline_run, tmp_path_factory):
    settings, _ = pipeline_run
    series = reader.spc_points(settings.published_path, None, "referrals_received")
    month = pd.Timestamp(series.indicator_month.max())
    out = tmp_path_factory.mktemp("packs")
    written = _carepath(settings, "pack", "--month", f"{month:%Y-%m}", "--out", str(out))
    assert written.returncode == 0, written.stdout[-2000:] + written.stderr[-2000:]
    return settings, month, out / f"{month:%Y-%m}", written.stdout.split()


def test_a_pack_for_the_network_and_every_site_in_html_and_pdf(packs):
    settings, _, folder, written = packs
    sites = sorted(reader.sites(settings.published_path).site_code.dropna())
    expected = {f"{name}.{ext}" for name in ["network", *sites] for ext in ("html", "pdf")}
    assert {os.path.basename(p) for p in written} == expected
    assert all((folder / name).stat().st_size > 1000 for name in expected)


def test_the_html_opens_with_no_network(packs):
    _, _, folder, _ = packs
    page = (folder / "network.html").read_text()
    assert "<svg" in page, "the charts are inline"
    assert not re.search(r'(src|href)="https?:', page), "nothing is fetched to open it"
    assert "<script" not in page


def test_the_pdf_holds_every_indicator_and_the_networks_counts_as_the_policy_shows_them(packs):
    settings, month, folder, _ = packs
    text = re.sub(r"\s+", " ", _text(folder / "network.pdf"))
    indicators = reader.indicators(settings.published_path)
    for label in indicators.indicator_label:
        assert label in text or label.split(" (")[0] in text, label
    policy = policy_named(settings.disclosure_policy, settings.disclosure_min_count)
    checked = 0
    for row in indicators[indicators.indicator_unit == "count"].itertuples():
        points = reader.spc_points(settings.published_path, None, row.indicator_id)
        at = points[pd.to_datetime(points.indicator_month) == month]
        if at.empty:
            continue
        shown = policy.shown_count(float(at.value.iloc[0]))
        words = "withheld" if isinstance(shown, str) else f"{shown:,.0f}"
        assert f"{month:%B %Y}: {words}," in text, (row.indicator_label, words)
        checked += 1
    assert checked >= 2
    assert policy.describe().split(" (")[0] in text


def test_a_sites_pack_names_no_other_site(packs):
    settings, _, folder, _ = packs
    sites = sorted(reader.sites(settings.published_path).site_code.dropna())
    for site in sites:
        others = re.compile(r"\b(" + "|".join(s for s in sites if s != site) + r")\b")
        text = _text(folder / f"{site}.pdf")
        assert site in text
        assert not others.search(text), (site, others.search(text))


def test_a_month_the_charts_do_not_judge_is_refused_in_a_sentence(pipeline_run, tmp_path):
    settings, _ = pipeline_run
    refused = _carepath(settings, "pack", "--month", "1999-01", "--out", str(tmp_path),
                        "--no-pdf")
    assert refused.returncode == 2
    assert "1999-01 is not a month the charts judge" in refused.stderr
    bad = _carepath(settings, "pack", "--month", "January", "--out", str(tmp_path))
    assert bad.returncode == 2 and "a month is YYYY-MM" in bad.stderr
