"""Name every row an expectation fails, inside DuckDB, whatever the count.

Great Expectations judges each expectation and counts its failing rows completely, but on a SQL
engine it lists at most `partial_unexpected_count` of them (20 by default, even with the COMPLETE
result format), and its "unexpected index query" drops the expectation's `row_condition`. A gate
that quarantined from either would let bad rows through. So each expectation the suites use is
also written here as a SQL predicate over the staged table; the gate quarantines with it and
requires that its count equals the count GX reported, so the two can never silently disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from carepath.warehouse import INSTANT_PREFIX


class UnsupportedExpectation(ValueError):
    """A suite uses an expectation type the gate cannot name failing rows for."""


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


_OPERATORS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _row_condition(condition: dict | None) -> str:
    """GX 1.x structured row conditions: a comparison, or an and/or of them."""
    if not condition:
        return "true"
    kind = condition.get("type")
    if kind == "comparison":
        op = _OPERATORS.get(condition.get("operator"))
        if op is None:
            raise UnsupportedExpectation(f"row_condition operator {condition.get('operator')!r}")
        return f"{_ident(condition['column']['name'])} {op} {_literal(condition['parameter'])}"
    if kind in ("and", "or"):
        parts = [_row_condition(c) for c in condition.get("conditions", [])]
        return "(" + f" {kind} ".join(parts) + ")"
    raise UnsupportedExpectation(f"row_condition of type {kind!r}")


def _pair_ignored(a: str, b: str, ignore_row_if: str) -> str:
    if ignore_row_if == "both_values_are_missing":
        return f"({a} is null and {b} is null)"
    if ignore_row_if == "either_value_is_missing":
        return f"({a} is null or {b} is null)"
    if ignore_row_if == "neither":
        return "false"
    raise UnsupportedExpectation(f"ignore_row_if {ignore_row_if!r}")


@dataclass(frozen=True)
class RowPredicate:
    """`where` selects the failing rows of `table`; `shown` renders the offending value."""

    where: str
    shown: str


def _shown(*columns: str) -> str:
    """`a=1, b=NULL`: the offending values as the quarantine shows them. A rule on an event's
    instant shows the event's local reading, as the site sent it."""
    parts = []
    for i, column in enumerate(columns):
        name = column.removeprefix(INSTANT_PREFIX)
        label = ("" if i == 0 else ", ") + name + "="
        parts += [_literal(label), f"coalesce(cast({_ident(name)} as varchar), 'NULL')"]
    return f"concat({', '.join(parts)})"


def row_predicate(expectation_type: str, kwargs: dict) -> RowPredicate:
    if expectation_type == "expect_column_values_to_not_be_null":
        col = _ident(kwargs["column"])
        return RowPredicate(f"{col} is null", _shown(kwargs["column"]))
    if expectation_type == "expect_column_values_to_be_null":
        col = _ident(kwargs["column"])
        return RowPredicate(f"{col} is not null", _shown(kwargs["column"]))
    if expectation_type == "expect_column_values_to_be_in_set":
        col = _ident(kwargs["column"])
        values = ", ".join(_literal(v) for v in kwargs["value_set"])
        return RowPredicate(f"{col} is not null and {col} not in ({values})",
                            _shown(kwargs["column"]))
    if expectation_type == "expect_column_values_to_be_between":
        col = _ident(kwargs["column"])
        lower = ">" if kwargs.get("strict_min") else ">="
        upper = "<" if kwargs.get("strict_max") else "<="
        inside = []
        if kwargs.get("min_value") is not None:
            inside.append(f"{col} {lower} {_literal(kwargs['min_value'])}")
        if kwargs.get("max_value") is not None:
            inside.append(f"{col} {upper} {_literal(kwargs['max_value'])}")
        condition = _row_condition(kwargs.get("row_condition"))
        return RowPredicate(
            f"{col} is not null and not ({' and '.join(inside) or 'true'}) and {condition}",
            _shown(kwargs["column"]))
    if expectation_type in ("expect_column_pair_values_a_to_be_greater_than_b",
                            "expect_column_pair_values_to_be_equal"):
        a, b = _ident(kwargs["column_A"]), _ident(kwargs["column_B"])
        ignored = _pair_ignored(a, b, kwargs.get("ignore_row_if", "both_values_are_missing"))
        if expectation_type == "expect_column_pair_values_to_be_equal":
            holds = f"{a} = {b}"
        else:
            holds = f"{a} {'>=' if kwargs.get('or_equal') else '>'} {b}"
        return RowPredicate(f"not {ignored} and not coalesce({holds}, false)",
                            _shown(kwargs["column_A"], kwargs["column_B"]))
    raise UnsupportedExpectation(
        f"{expectation_type}: the gate cannot name the failing rows of this expectation type; "
        "use one it supports or an unexpected_rows_expectation with a query")
