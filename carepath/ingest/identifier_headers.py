"""Which column headers announce a direct patient identifier, from config/direct_identifiers.yml.

Headers are compared as words, not as spellings: `PatientName`, `patient_name`, `Patient Name`
and `PATIENT-NAME` are the same header, and so are `D.O.B`, `DoB` and `dob`. The list, its
source and the matching rule are in that file ($CAREPATH_DIRECT_IDENTIFIERS moves it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CONFIG_NAME = "direct_identifiers.yml"

# Word boundaries inside a header: a lower-case letter or digit followed by an upper-case one
# (PatientName), an acronym followed by a word (NHSNumber), letters next to digits (Line1).
_CASE_CHANGE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_LETTER_DIGIT = re.compile(r"(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")


def header_words(header: str) -> tuple[str, ...]:
    text = _LETTER_DIGIT.sub(" ", _CASE_CHANGE.sub(" ", header))
    return tuple(w for w in re.split(r"[^a-z0-9]+", text.lower()) if w)


@dataclass(frozen=True)
class IdentifierHeaders:
    """The configured identifier kinds, each with the word sequences that announce it."""

    kinds: dict[str, tuple[tuple[str, ...], ...]]

    def kind_of(self, header: str) -> str | None:
        """The identifier kind a header announces, or None."""
        words = header_words(header)
        joined = "".join(words)
        for kind, patterns in self.kinds.items():
            for pattern in patterns:
                if joined == "".join(pattern) or _contains(words, pattern):
                    return kind
        return None


def _contains(words: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    n = len(pattern)
    return any(words[i:i + n] == pattern for i in range(len(words) - n + 1))


class IdentifierConfigError(ValueError):
    pass


@cache
def load_identifier_headers(path: Path) -> IdentifierHeaders:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise IdentifierConfigError(f"{path}: cannot read the identifier list: {exc}") from exc
    entries = doc.get("identifiers")
    if not isinstance(entries, dict) or not entries:
        raise IdentifierConfigError(f"{path}: needs an 'identifiers' mapping of kind -> names")
    kinds = {}
    for kind, names in entries.items():
        if not isinstance(names, list) or not names:
            raise IdentifierConfigError(f"{path}: {kind!r} needs a list of names")
        kinds[str(kind)] = tuple(header_words(str(name)) for name in names)
    return IdentifierHeaders(kinds)
