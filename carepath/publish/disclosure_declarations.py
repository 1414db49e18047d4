"""What each mart column is, for disclosure control, as the mart's yml declares it.

Every mart model and column in `dbt_project/models/marts/` carries `config.meta.disclosure`:

- a column's role: `count` (of people or events), `{proportion: {numerator, denominator}}`,
  `{statistic: {over: column or [columns]}}` (a median, mean, limit, score or flag computed over
  that many; with `unit` and `count`, over `count` instead on rows whose unit is a count),
  `{indicator: {unit, numerator, denominator}}` (a value whose kind the row's unit says),
  `dimension` (not about individuals: sites, months, labels, targets, files) or
  `identifier` (one person's record: referral_id, measure_id);
- the model's `audience` (`published`: aggregates that may leave the service; `operational`:
  lists of referrals or files, for signed-in staff only), its `relations` within a row (a total
  and the parts that add up to it, or to at most it when `remainder` is true) and its
  `row_totals` across rows (the rows flagged `flag`, or whose `column` is `value`, hold the sum
  over `over` of the other rows that agree with them on the columns `by`; or, `elsewhere`, the
  rows agreeing on `by` add up to a figure another mart shows).

The declarations are read from the yml files themselves (no dbt run is needed to show a page),
and checked: a role naming a column the model does not declare is an error, not a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

ROLE_KINDS = ("count", "proportion", "statistic", "indicator", "dimension", "identifier")
AUDIENCES = ("published", "operational")


class DeclarationError(ValueError):
    """A mart's disclosure declaration that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Role:
    kind: str
    numerator: str | None = None
    denominator: str | None = None
    over: tuple[str, ...] = ()
    unit: str | None = None
    # A statistic of a chart whose unit varies by row: on rows whose `unit` is "count", it is
    # over that row's count (this column) instead of `over`.
    over_count: str | None = None

    def columns_named(self) -> tuple[str, ...]:
        return tuple(c for c in (self.numerator, self.denominator, self.unit, self.over_count,
                                 *self.over) if c)

    def statistic_over(self, row_unit: object) -> tuple[str, ...]:
        """The counts a statistic is over on a row whose unit is `row_unit`."""
        if self.over_count is not None and row_unit == "count":
            return (self.over_count,)
        return self.over


@dataclass(frozen=True)
class Relation:
    total: str
    parts: tuple[str, ...]
    remainder: bool = False  # the parts add up to at most the total


@dataclass(frozen=True)
class RowTotal:
    over: tuple[str, ...]  # the dimension(s) the total rows sum over
    flag: str | None = None  # a boolean column marking the total rows
    column: str | None = None  # or: the column whose `value` marks them
    value: str | None = None
    by: tuple[str, ...] = ()  # the columns that say which total row a row adds up to
    # Or: no row here holds the total, another mart shows it (its name): the rows agreeing on
    # `by` add up to a figure shown elsewhere, which withheld rows must not be recoverable from.
    elsewhere: str | None = None
    # Declared as a link (the map form), the total is found in that mart: the row whose
    # same-named `by` columns agree, among those matching `where`; each count column here adds
    # up to the column of the same name there, or the one `columns` names.
    where: tuple[tuple[str, object], ...] = ()
    columns: tuple[tuple[str, str], ...] = ()
    linked: bool = False
    # A window the other mart's row sets: (this mart's column, its first and last value there).
    # Only the rows whose column lies in it add up to the total.
    within: tuple[str, str, str] | None = None
    # A `by` column that the other mart names otherwise: (this mart's name, its name there).
    on: tuple[tuple[str, str], ...] = ()

    def linked_columns(self, counts: Iterable[str], theirs: Iterable[str]) -> dict[str, str]:
        """Each count column here and the column of the other mart it adds up to."""
        named = dict(self.columns)
        theirs = set(theirs)
        return {c: named.get(c, c) for c in counts if named.get(c, c) in theirs}

    def marks(self) -> set[str]:
        """The columns a row total names: summed over, marking the totals, or grouping."""
        return {*self.over, *self.by, *(c for c in (self.flag, self.column) if c)}

    def is_total(self, row) -> bool:
        if self.elsewhere is not None:
            return False
        if self.flag is not None:
            return bool(row[self.flag])
        return str(row[self.column]) == str(self.value)


@dataclass(frozen=True)
class MartDisclosure:
    mart: str
    audience: str
    columns: dict[str, Role]
    relations: tuple[Relation, ...] = ()
    row_totals: tuple[RowTotal, ...] = ()

    def dimensions(self) -> list[str]:
        return [c for c, role in self.columns.items() if role.kind == "dimension"]


def _role(mart: str, column: str, declared) -> Role:
    where = f"{mart}.{column}"
    if isinstance(declared, str):
        if declared not in ("count", "dimension", "identifier"):
            raise DeclarationError(f"{where}: disclosure role {declared!r} is not one of "
                                   "count, dimension, identifier (or a map for the others)")
        return Role(declared)
    if not isinstance(declared, dict) or len(declared) != 1:
        raise DeclarationError(f"{where}: disclosure must be a role name or a map with one "
                               f"role, not {declared!r}")
    [(kind, spec)] = declared.items()
    spec = spec or {}
    if kind == "proportion":
        return Role(kind, numerator=spec.get("numerator"), denominator=spec.get("denominator"))
    if kind == "statistic":
        over = spec.get("over")
        over = (over,) if isinstance(over, str) else tuple(over or ())
        if not over:
            raise DeclarationError(f"{where}: a statistic names the count(s) it is over")
        if ("unit" in spec) != ("count" in spec):
            raise DeclarationError(f"{where}: a statistic by unit names both its unit column "
                                   "and the count it is over where the unit is a count")
        return Role(kind, over=over, unit=spec.get("unit"), over_count=spec.get("count"))
    if kind == "indicator":
        return Role(kind, unit=spec.get("unit"), numerator=spec.get("numerator"),
                    denominator=spec.get("denominator"))
    raise DeclarationError(f"{where}: disclosure role {kind!r} is not one of {ROLE_KINDS}")


def _names(value) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value or ())


def _model(model: dict) -> MartDisclosure | None:
    name = model.get("name")
    meta = ((model.get("config") or {}).get("meta") or {}).get("disclosure")
    columns: dict[str, Role] = {}
    for column in model.get("columns") or []:
        declared = ((column.get("config") or {}).get("meta") or {}).get("disclosure")
        if declared is not None:
            columns[column["name"]] = _role(name, column["name"], declared)
    if meta is None:
        return None
    audience = meta.get("audience")
    if audience not in AUDIENCES:
        raise DeclarationError(f"{name}: disclosure audience {audience!r} is not one of "
                               f"{AUDIENCES}")
    relations = tuple(Relation(r["total"], tuple(r["parts"]), bool(r.get("remainder", False)))
                      for r in meta.get("relations") or [])
    row_totals = tuple(_row_total(name, t) for t in meta.get("row_totals") or [])
    declared = MartDisclosure(name, audience, columns, relations, row_totals)
    _check(declared)
    return declared


def _row_total(mart: str, declared: dict) -> RowTotal:
    elsewhere = declared.get("elsewhere")
    common = (_names(declared["over"]), declared.get("flag"), declared.get("column"),
              declared.get("value"), _names(declared.get("by")))
    if not isinstance(elsewhere, dict):
        return RowTotal(*common, elsewhere)
    if "mart" not in elsewhere:
        raise DeclarationError(f"{mart}: a row total shown elsewhere names that mart")
    within = elsewhere.get("within")
    if within is not None:
        if not isinstance(within, dict) or len(within) != 1:
            raise DeclarationError(f"{mart}: `within` names one column and the other mart's "
                                   "first and last values of it, e.g. {month: [start, end]}")
        [(column, (first, last))] = within.items()
        within = (column, first, last)
    return RowTotal(*common, elsewhere["mart"],
                    tuple((elsewhere.get("where") or {}).items()),
                    tuple((elsewhere.get("columns") or {}).items()), linked=True,
                    within=within, on=tuple((elsewhere.get("match") or {}).items()))


def _check(mart: MartDisclosure) -> None:
    named = set(mart.columns)
    for column, role in mart.columns.items():
        for other in role.columns_named():
            if other not in named:
                raise DeclarationError(f"{mart.mart}.{column}: names {other!r}, which the "
                                       "model does not declare")
    for relation in mart.relations:
        for column in (relation.total, *relation.parts):
            if mart.columns.get(column, Role("missing")).kind != "count":
                raise DeclarationError(f"{mart.mart}: relation column {column!r} is not a "
                                       "declared count")
    for total in mart.row_totals:
        if (total.elsewhere is None) == (total.flag is None and total.column is None):
            raise DeclarationError(f"{mart.mart}: a row total names its total rows (flag, or "
                                   "column and value) or the mart that shows it (elsewhere)")
        for column in total.marks():
            if column not in named:
                raise DeclarationError(f"{mart.mart}: row total names {column!r}, which the "
                                       "model does not declare")


@lru_cache(maxsize=4)
def load_declarations(marts_dir: Path) -> dict[str, MartDisclosure]:
    """Every mart's declaration, by mart name, from the yml files under `marts_dir`."""
    declarations: dict[str, MartDisclosure] = {}
    for path in sorted(marts_dir.rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models") or []:
            declared = _model(model)
            if declared is not None:
                declarations[declared.mart] = declared
    return declarations
