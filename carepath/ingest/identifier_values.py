"""Values that look like a patient identifier, wherever a site typed them.

A direct identifier is kept out by its header (identifier_headers.py), but a hospital number
typed into `priority` or an email pasted into a reference field arrives under an innocent
header. Such a value must never be stored: the loader quarantines its row and stores the cell
as a mask (`[withheld: looks like an NHS number]`) in every copy (stage, quarantine, and the
gate's records and docs, which are all made from the staged row).

What counts as looking like an identifier (UK sources):

* an NHS number: ten digits, alone or grouped 3-3-4 by spaces or hyphens, whose last digit is
  its Modulus 11 check digit (NHS Digital, "NHS number" data dictionary entry); ten digits that
  fail the check are not an NHS number and stay;
* an email address;
* a UK telephone number: 0 or +44 then ten digits, spaced or hyphenated, standing alone;
* a UK postcode written with its space (outward and inward code, e.g. `LS1 4AP`), standing
  alone, or without it (`LS14AP`) as the whole cell: run into other text, an unspaced postcode
  cannot be told from a reference such as `RX12AB`, but a cell holding nothing else is read as
  one (the inward code's letters are never C, I, K, M, O or V);
* the site's own hospital-number pattern, from `file.hospital_number_pattern` in its mapping,
  matched as a whole word.

The test is SQL run inside the staging scan: one combined regular expression (one pass of RE2's
automaton per cell) rules out nearly every cell, and only a cell it matches is tested detector
by detector, with the NHS check digit computed for each candidate.
"""

from __future__ import annotations

# Standing alone: not inside a longer run of letters, digits, hyphens or underscores, so that
# part of a site's own reference such as `R-01234567890` is not read as a phone number.
_BEFORE = r"(^|[^A-Za-z0-9_-])"
_AFTER = r"([^A-Za-z0-9_-]|$)"
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
PHONE = _BEFORE + r"(\+44[ -]?(\(0\)[ -]?)?|0)[1-9]([ -]?[0-9]){8,9}" + _AFTER
# With its space, as written in an address, anywhere in a cell; without it, only as the whole
# cell (inside other text, references such as `RX12AB-3` would match).
POSTCODE = (_BEFORE + r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]? [0-9][A-Za-z]{2}" + _AFTER
            + r"|^[A-Za-z]{1,2}[0-9][A-Za-z0-9]?[0-9][ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2}$")
NHS_CANDIDATE = r"[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}"
NHS_NUMBER = _BEFORE + NHS_CANDIDATE + _AFTER

KINDS = {
    "email": "an email address",
    "phone": "a phone number",
    "nhs_number": "an NHS number",
    "postcode": "a postcode",
    "hospital_number": "a hospital number",
}


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _nhs_check_digit_holds(candidate: str) -> str:
    """SQL: the ten digits of `candidate` (a 3-3-4 run, spaces or hyphens allowed) end in their
    Modulus 11 check digit. Weights 10 down to 2 on the first nine digits; the check digit is 11
    minus the sum's remainder by 11, 11 reading as 0; a remainder of 1 (check digit 10) is
    never valid."""
    digits = f"replace(replace({candidate}, ' ', ''), '-', '')"

    def digit(i: int) -> str:
        return f"cast(substr({digits}, {i}, 1) as integer)"

    weighted = " + ".join(f"{digit(i)} * {11 - i}" for i in range(1, 10))
    return f"(11 - ({weighted}) % 11) % 11 = {digit(10)}"


def _has_nhs_number(expr: str) -> str:
    """SQL: some standalone ten-digit run in `expr` passes the NHS check digit."""
    return (f"list_bool_or(list_transform(regexp_extract_all({expr}, "
            f"{_sql_str(_BEFORE + '(' + NHS_CANDIDATE + ')' + _AFTER)}, 2), "
            f"lambda candidate: {_nhs_check_digit_holds('candidate')}))")


def identifier_kind_sql(expr: str, hospital_number_pattern: str | None = None) -> str:
    """SQL over a text expression: what kind of identifier it looks like (a phrase such as
    'an NHS number'), or NULL when it looks like none. NULL in, NULL out."""
    patterns = [EMAIL, PHONE, POSTCODE, NHS_NUMBER]
    hospital = None
    if hospital_number_pattern:
        hospital = _BEFORE + "(" + hospital_number_pattern + ")" + _AFTER
        patterns.append(hospital)
    any_kind = "|".join(f"({p})" for p in patterns)
    branches = [
        (f"regexp_matches({expr}, {_sql_str(EMAIL)})", KINDS["email"]),
        (_has_nhs_number(expr), KINDS["nhs_number"]),
        (f"regexp_matches({expr}, {_sql_str(PHONE)})", KINDS["phone"]),
        (f"regexp_matches({expr}, {_sql_str(POSTCODE)})", KINDS["postcode"]),
    ]
    if hospital:
        branches.append((f"regexp_matches({expr}, {_sql_str(hospital)})",
                         KINDS["hospital_number"]))
    whens = " ".join(f"when {test} then {_sql_str(kind)}" for test, kind in branches)
    return (f"case when {expr} is null or not regexp_matches({expr}, {_sql_str(any_kind)}) "
            f"then NULL {whens} end")


def mask(kind_sql: str) -> str:
    """SQL: the text stored in place of a cell that looks like an identifier."""
    return f"'[withheld: looks like ' || {kind_sql} || ']'"
