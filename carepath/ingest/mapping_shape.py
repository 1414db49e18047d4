"""The shape a site's mapping file must have, checked before any of its values is read.

A mapping is hand-written YAML: a misspelt key (`delimeter:`, `time_zone:`) would otherwise be
ignored without a word and surface later as a puzzling rejection, and a list where a map belongs
would crash the loader. Every key is checked against the keys this release knows, with the
nearest known one suggested, and every section against the shape it must have; the first
problem is reported as a sentence naming where it is.
"""

from __future__ import annotations

import difflib

from carepath.contract import EXTRACTS

TOP_LEVEL_KEYS = ("site_code", "site_name", "file", "extracts")
FILE_KEYS = ("delimiter", "encoding", "timestamp_format", "timezone", "skip_lines",
             "name_pattern", "delivered_format", "hospital_number_pattern")
EXTRACT_KEYS = ("columns", "codes", "drop")


class MappingShapeError(ValueError):
    """Where the mapping's shape is wrong, and how to put it right."""


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    return f"the value {value!r}"


def _suggestion(key: object, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(known)}"


def _check_keys(section: dict, known: tuple[str, ...], where: str) -> None:
    for key in section:
        if key not in known:
            raise MappingShapeError(f"{where}: unknown key {key!r}{_suggestion(key, known)}")


def _check_map(value: object, where: str, of: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingShapeError(f"{where} must be a map of {of}, not {_kind(value)}")
    return value


def _check_scalars(section: dict, where: str) -> None:
    for key, value in section.items():
        if isinstance(value, dict | list):
            raise MappingShapeError(f"{where}.{key} must be a single value, not {_kind(value)}")


def check_mapping_shape(doc: object) -> None:
    """Raise MappingShapeError for the first key this release does not know or value of the
    wrong shape in a parsed mapping document."""
    if not isinstance(doc, dict):
        raise MappingShapeError(f"a mapping must be a map of settings, not {_kind(doc)}")
    _check_keys(doc, TOP_LEVEL_KEYS, "the mapping")
    if "site_code" not in doc:
        raise MappingShapeError("a mapping needs at least `site_code`")
    _check_scalars({k: doc[k] for k in ("site_code", "site_name") if k in doc}, "the mapping")
    file_opts = _check_map(doc.get("file"), "file", "settings")
    _check_keys(file_opts, FILE_KEYS, "file")
    _check_scalars(file_opts, "file")
    extracts = _check_map(doc.get("extracts"), "extracts", "extract names to their layout")
    for name, spec in extracts.items():
        if name not in EXTRACTS:
            raise MappingShapeError(f"extracts: unknown extract {name!r}"
                                    + _suggestion(name, EXTRACTS))
        spec = _check_map(spec, f"extracts.{name}", "columns, codes and drop")
        _check_keys(spec, EXTRACT_KEYS, f"extracts.{name}")
        columns = _check_map(spec.get("columns"), f"extracts.{name}.columns",
                             "canonical column names to the site's headers")
        _check_scalars(columns, f"extracts.{name}.columns")
        codes = _check_map(spec.get("codes"), f"extracts.{name}.codes",
                           "columns to their code maps")
        for column, values in codes.items():
            values = _check_map(values, f"extracts.{name}.codes.{column}",
                                "the site's values to canonical codes")
            _check_scalars(values, f"extracts.{name}.codes.{column}")
        drop = spec.get("drop")
        if drop is not None and (not isinstance(drop, list)
                                 or any(isinstance(d, dict | list) for d in drop)):
            raise MappingShapeError(f"extracts.{name}.drop must be a list of column names, "
                                    f"not {_kind(drop)}")
