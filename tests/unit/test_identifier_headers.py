"""Direct-identifier headers are recognised by their words, whatever the spelling."""

import pytest
from support.paths import ROOT

from carepath.contract import COLUMNS
from carepath.ingest.identifier_headers import (
    IdentifierConfigError,
    header_words,
    load_identifier_headers,
)

HEADERS = load_identifier_headers(ROOT / "config" / "direct_identifiers.yml")


@pytest.mark.parametrize(("header", "kind"), [
    ("PatientName", "name"), ("patient_name", "name"), ("Full Name", "name"),
    ("FORENAME", "name"), ("Surname", "name"), ("first-name", "name"),
    ("D.O.B", "date of birth"), ("DoB", "date of birth"), ("Date of Birth", "date of birth"),
    ("birthDate", "date of birth"),
    ("MRN", "hospital number"), ("Hospital No", "hospital number"),
    ("hosp_no", "hospital number"), ("Medical Record Number", "hospital number"),
    ("NHS Number", "nhs number"), ("NHSNo", "nhs number"), ("nhs_no", "nhs number"),
    ("CHI", "nhs number"),
    ("NI Number", "national insurance number"), ("NINO", "national insurance number"),
    ("National Insurance No", "national insurance number"),
    ("AddressLine1", "address"), ("address_2", "address"), ("Street", "address"),
    ("Post Code", "postcode"), ("POSTCODE", "postcode"), ("zip", "postcode"),
    ("Tel No", "phone"), ("telephone", "phone"), ("MobilePhone", "phone"),
    ("e-mail", "email"), ("EmailAddress", "email"),
])
def test_identifier_headers_are_recognised(header, kind):
    assert HEADERS.kind_of(header) == kind


@pytest.mark.parametrize("header", [
    *(column.name for columns in COLUMNS.values() for column in columns),
    "hotel", "telemetry_flag", "zipper", "naming_scheme", "chicago", "comments", "ward",
])
def test_contract_and_harmless_headers_are_not(header):
    assert HEADERS.kind_of(header) is None


def test_header_words_split_at_case_punctuation_and_digits():
    assert header_words("AddressLine1") == ("address", "line", "1")
    assert header_words("NHSNumber") == ("nhs", "number")
    assert header_words("  D.O.B ") == ("d", "o", "b")


def test_a_broken_list_is_an_error_not_an_empty_list(tmp_path):
    path = tmp_path / "ids.yml"
    path.write_text("identifiers: {}\n")
    with pytest.raises(IdentifierConfigError):
        load_identifier_headers(path)
