"""A refactoring of the models keeps every mart's rows (support.mart_digests).

The digests in tests/fixtures/mart_digests/ were recorded by the models before the QI layer
was split into its steps (issue 26): demo.json on the suite's demo network, which this test
builds anyway; sites8-months24-seed42.json on 8 sites over 24 months, checked by hand with
`tests/support/mart_digests.py --check` (a build of its own, too long for the suite). A change
that alters a mart's rows on purpose records them again, and says so in its commit.
"""

from __future__ import annotations

import json

from support.mart_digests import differences, warehouse_digests
from support.paths import ROOT

RECORDED = ROOT / "tests" / "fixtures" / "mart_digests" / "demo.json"


def test_every_mart_has_the_rows_recorded_before_the_models_were_reorganised(pipeline_run):
    settings, _ = pipeline_run
    problems = differences(json.loads(RECORDED.read_text()),
                           warehouse_digests(settings.warehouse_path))
    assert problems == [], ("marts whose rows changed; if on purpose, record them again: "
                            "tests/support/mart_digests.py --record " + str(RECORDED))
