"""A mapping's shape is checked before its values: unknown keys are named with the nearest known
one, and a section of the wrong shape says where and what it must be."""

from __future__ import annotations

import pytest
import yaml

from carepath.ingest.mapping_shape import MappingShapeError, check_mapping_shape

GOOD = """
site_code: BRA
site_name: Braxton
file: {delimiter: ";", encoding: latin-1, timezone: Europe/London}
extracts:
  referrals:
    columns: {referral_id: Ref No}
    codes: {priority: {U: urgent, R: routine}}
    drop: [Surname]
"""


def test_a_mapping_of_every_known_section_passes():
    check_mapping_shape(yaml.safe_load(GOOD))


@pytest.mark.parametrize("text, problem", [
    ("site_code: X\nfile: {delimeter: ';'}", "file: unknown key 'delimeter'; did you mean "
                                             "'delimiter'?"),
    ("site_code: X\nfile: {time_zone: UTC}", "did you mean 'timezone'?"),
    ("site_code: X\nsitename: Y", "the mapping: unknown key 'sitename'; did you mean "
                                  "'site_name'?"),
    ("site_code: X\nfile: [a, b]", "file must be a map of settings, not a list"),
    ("site_code: X\nextracts: [referrals]", "extracts must be a map"),
    ("site_code: X\nextracts: {referals: {}}", "did you mean 'referrals'?"),
    ("site_code: X\nextracts: {referrals: {colums: {}}}", "did you mean 'columns'?"),
    ("site_code: X\nextracts: {referrals: {columns: Ref No}}",
     "extracts.referrals.columns must be a map"),
    ("site_code: X\nextracts: {referrals: {columns: {referral_id: [a]}}}",
     "extracts.referrals.columns.referral_id must be a single value, not a list"),
    ("site_code: X\nextracts: {referrals: {codes: {priority: [urgent]}}}",
     "extracts.referrals.codes.priority must be a map"),
    ("site_code: X\nextracts: {referrals: {drop: Surname}}",
     "extracts.referrals.drop must be a list of column names"),
    ("site_code: X\nfile: {skip_lines: [1]}", "file.skip_lines must be a single value"),
    ("- site_code: X", "a mapping must be a map of settings, not a list"),
    ("site_name: Y", "a mapping needs at least `site_code`"),
])
def test_a_wrong_key_or_shape_is_named(text, problem):
    with pytest.raises(MappingShapeError) as raised:
        check_mapping_shape(yaml.safe_load(text))
    assert problem in str(raised.value)
