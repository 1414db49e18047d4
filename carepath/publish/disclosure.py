"""Statistical disclosure control for what leaves the service.

Staff who run the service see exact figures; a published audience (a board, commissioners, the
QI pack) sees what `CAREPATH_DISCLOSURE_POLICY` allows (carepath.publish.disclosure_policies).
`disclose` applies a policy to rows of a mart as the mart's yml declares them
(carepath.publish.disclosure_declarations): counts withheld or rounded, proportions from the
counts as shown, statistics only over enough people, and complements hidden so that no
withheld count can be worked out from a total shown beside it. The marts keep the true figures;
nothing is computed here but what may be shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from carepath.publish.disclosure_declarations import MartDisclosure, RowTotal
from carepath.publish.disclosure_policies import Policy


def indicator_counts(unit: str, value: str = "value", numerator: str = "numerator",
                     denominator: str = "denominator") -> tuple[str, ...]:
    """The columns an indicator's figure is judged by, by its unit: a count by its own value;
    a proportion by its numerator and denominator (the one gives the other away); a median or
    percentile in days by the pathways it is taken over."""
    if unit == "count":
        return (value,)
    if unit == "proportion":
        return (numerator, denominator)
    return (denominator,)


COMPLEMENT = "withheld"  # a count hidden only so that a withheld one cannot be subtracted out


class NotForPublication(ValueError):
    """A mart of referral or file lists: for signed-in staff, never for a published audience."""


@dataclass
class Disclosed:
    frame: pd.DataFrame  # as it may be shown or exported
    withheld: pd.DataFrame  # one row per withheld cell: column, row (index), reason
    legend: str  # what the marks mean, to print beside the table


def is_missing(value: object) -> bool:
    """A missing value (None or NaN); a mark (text) is not missing."""
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _group_keys(frame: pd.DataFrame, total: RowTotal) -> list[str]:
    return [c for c in total.by if c in frame]


def _key(values) -> tuple:
    """A row's group key, a missing value matching a missing value (NaN never equals NaN)."""
    return tuple(None if is_missing(v) else v for v in values)


def _row_groups(frame: pd.DataFrame, total: RowTotal, is_total: pd.Series) -> list[list]:
    """The rows that add up to a total row: the non-total rows agreeing on the row total's
    `by` columns."""
    keys = _group_keys(frame, total)
    members = frame[~is_total]
    if members.empty:
        return []
    if not keys:
        return [list(members.index)]
    return groups_of(members, keys)


def groups_of(frame: pd.DataFrame, keys: list[str]) -> list[list]:
    """The row labels of each group of `frame` by `keys` (a missing key a group of its own), in
    the order pandas iterates the groups, each in row order: what iterating a groupby gives,
    without building a frame per group."""
    codes = frame.groupby(keys, dropna=False).ngroup()
    buckets: list[list] = [[] for _ in range(int(codes.max()) + 1)] if len(codes) else []
    for label, code in zip(frame.index, codes.tolist(), strict=True):
        buckets[code].append(label)
    return buckets


def _total_rows(frame: pd.DataFrame, total: RowTotal) -> pd.Series:
    """Whether each row is one of the row total's total rows."""
    return pd.Series([total.is_total(row) for row in frame.to_dict("records")],
                     index=frame.index, dtype=bool)


@dataclass(frozen=True)
class Elsewhere:
    """A total that another mart shows (a row total declared `elsewhere`): the true sum of
    its parts, shown there as the policy shows a count."""

    value: float


def _complements(frame: pd.DataFrame, mart: MartDisclosure, hidden: dict[str, pd.Series],
                 policy: Policy, forced: Iterable[tuple[object, str]] = (),
                 external: Iterable[tuple[list, str, float]] = ()) -> dict[str, pd.Series]:
    """The further cells to hide so that no withheld count can be worked out from a total shown
    beside it (within a row: a declared relation; across rows: a declared row total). Each cell
    is known to lie in an interval: a withheld one from 1 to n - 1, a shown one in what its
    shown value leaves possible (one value when counts are exact, a band when rounded), a
    complement anywhere from 0 (its mark says nothing of its size). A withheld cell must keep
    at least two possible values given the total and the others; until it does, the smallest
    other cell is hidden as a complement, or else the total (even a small total: "withheld"
    then stands for it). Repeated until nothing changes (a total hidden in one group may be a
    part of another)."""
    # Plain dicts, cell by cell: this loop reads every cell many times, and pandas' scalar
    # access costs microseconds a read (seconds over a network's marts).
    data = {c: dict(zip(frame.index, frame[c].tolist(), strict=True)) for c in hidden}
    small = {c: dict(zip(frame.index, hidden[c].tolist(), strict=True)) for c in hidden}
    added = {c: dict.fromkeys(frame.index, False) for c in hidden}
    for index, column in forced:  # hidden because another mart's total needs them hidden
        if column in added:
            added[column][index] = True
    n = policy.redact_below

    def raw(cell) -> object:
        return data[cell[1]][cell[0]]

    def value(cell) -> float:
        raw_value = raw(cell)
        return 0.0 if is_missing(raw_value) else float(raw_value)

    def is_complement(cell) -> bool:
        return not isinstance(cell, Elsewhere) and added[cell[1]][cell[0]]

    def is_small(cell) -> bool:
        return bool(small[cell[1]][cell[0]]) and not is_complement(cell)

    def bounds(cell) -> tuple[float, float]:
        if isinstance(cell, Elsewhere):
            low, high = policy.possible(policy.shown_count(cell.value))
            return float(low), float(high)
        if is_complement(cell):
            return 0.0, float("inf")
        if is_small(cell):
            return 1.0, n - 1.0
        low, high = policy.possible(policy.shown_count(value(cell)))
        return float(low), float(high)

    def safe(parts: list, total, remainder: bool) -> bool:
        total_low, total_high = bounds(total)
        for cell in parts:
            if not is_small(cell):
                continue
            others = [bounds(c) for c in parts if c != cell]
            low, high = bounds(cell)
            if not remainder:
                low = max(low, total_low - sum(h for _, h in others))
            high = min(high, total_high - sum(lo for lo, _ in others))
            if high - low < 1:
                return False
        return True

    def settle(parts: list, total, remainder: bool) -> bool:
        changed = False
        while not safe(parts, total, remainder):
            spare = sorted((c for c in parts if not is_small(c) and not is_complement(c)
                            and not is_missing(raw(c))), key=value)
            if spare:
                cell = spare[0]
            elif isinstance(total, Elsewhere):
                # Every part is withheld and the total is shown in another mart: the largest
                # withheld part is marked as a complement instead, whose mark says nothing of
                # its size, so the total no longer pins the others (nor it, by their bounds).
                withheld = [c for c in parts if is_small(c)]
                if not withheld:
                    break
                cell = max(withheld, key=value)
            elif not is_complement(total):
                cell = total
            else:
                break  # every cell hidden and the total unbounded: nothing more to hide
            added[cell[1]][cell[0]] = True
            changed = True
        return changed

    # The groups of each row total, which no round changes.
    row_totals = []
    for total in mart.row_totals:
        if not all(c in frame for c in total.marks() - set(total.over)):
            continue  # the view does not show which rows are totals: none is
        if total.within is not None:
            continue  # a window the other mart sets: its groups come as `external`
        is_total = _total_rows(frame, total)
        groups = _row_groups(frame, total, is_total)
        if total.elsewhere is not None:
            row_totals.append((None, groups))
            continue
        keys = _group_keys(frame, total)
        rows = frame[keys].itertuples(index=False, name=None) if keys else ((),) * len(frame)
        key_of = dict(zip(frame.index, (_key(r) for r in rows), strict=True))
        totals = {key_of[i]: i for i in frame.index[is_total]}
        row_totals.append((totals, [(g, totals.get(key_of[g[0]])) for g in groups]))

    for _ in range(50):
        changed = False
        for relation in mart.relations:
            if not all(c in hidden for c in (relation.total, *relation.parts)):
                continue
            for i in frame.index:
                changed |= settle([(i, c) for c in relation.parts], (i, relation.total),
                                  relation.remainder)
        for totals, groups in row_totals:
            if totals is None:  # the total is shown in another mart
                for group in groups:
                    for column in hidden:
                        added_up = sum(value((i, column)) for i in group)
                        if policy.is_withheld(added_up):
                            continue  # the other mart withholds it as well: nothing to solve
                        changed |= settle([(i, column) for i in group], Elsewhere(added_up),
                                          False)
                continue
            for group, total_row in groups:
                if total_row is None:
                    continue
                for column in hidden:
                    changed |= settle([(i, column) for i in group], (total_row, column),
                                      False)
        for rows, column, shown_there in external:
            if column in hidden and not policy.is_withheld(shown_there):
                changed |= settle([(i, column) for i in rows], Elsewhere(shown_there), False)
        if not changed:
            break
    return {c: pd.Series([added[c][i] for i in frame.index], index=frame.index, dtype=bool)
            for c in added}


def _as_before(values: pd.Series, before: pd.Series) -> pd.Series:
    """Shown numbers in their column's own type where they fit it (a rounded count stays an
    integer column)."""
    try:
        cast = values.astype(before.dtype)
    except (TypeError, ValueError):
        return values
    kept = all((is_missing(a) and is_missing(b)) or (not is_missing(a) and a == b)
               for a, b in zip(cast, values, strict=True))
    return cast if kept else values


def disclose(frame: pd.DataFrame, mart: MartDisclosure, policy: Policy,
             forced: Iterable[tuple[object, str]] = (),
             external: Iterable[tuple[list, str, float]] = ()) -> Disclosed:
    """`frame`, rows of `mart`, as a published audience may see it under `policy`: every count
    as the policy shows it, every proportion from the counts as shown (a rounding policy) or
    withheld where its counts are (the threshold policy), every statistic withheld over fewer
    than the policy's minimum, every column the mart does not declare withheld. `forced`
    cells (row index, column) are hidden as complements whatever their size (another mart
    needs them hidden: carepath.publish.disclosure_views); `external` groups (row indexes, a
    count column, the true total another mart shows) are protected as row totals are. The
    record says which cell was withheld and why."""
    if mart.audience != "published":
        raise NotForPublication(f"{mart.mart} lists referrals or files: it is shown to "
                                "signed-in staff, never published")
    label = policy.withheld_label
    # The cells as plain dicts (pandas' scalar access costs microseconds a cell, seconds over
    # a network's marts): `cells` the true values, `out` what is shown, written back at the end.
    cells = {c: dict(zip(frame.index, frame[c].tolist(), strict=True)) for c in frame.columns}
    out = {c: dict(values) for c, values in cells.items()}
    marked: set[str] = set()
    written: set[str] = set()
    record: list[tuple[str, object, str]] = []

    def withhold(column: str, index, reason: str, mark: str = label) -> None:
        out[column][index] = mark
        marked.add(column)
        record.append((column, index, reason))

    def show(column: str, index, value: object) -> None:
        out[column][index] = value
        written.add(column)

    for column in frame.columns:
        if column not in mart.columns:
            for index in frame.index:
                withhold(column, index, "no disclosure role declared for this column")

    roles = {c: r for c, r in mart.columns.items() if c in frame}
    counts = [c for c, r in roles.items() if r.kind == "count"]
    small = {c: frame[c].map(lambda v: not is_missing(v) and policy.is_withheld(float(v)))
             .astype(bool) for c in counts}
    complement = _complements(frame, mart, small, policy, forced, external)
    is_small = {c: small[c].to_dict() for c in counts}
    is_complement = {c: complement[c].to_dict() for c in counts}

    def count_cell(column: str, index) -> None:
        value = cells[column][index]
        if is_missing(value):
            return
        if is_complement[column][index]:
            withhold(column, index, "hidden so that a withheld count cannot be worked out "
                                    "from its total", COMPLEMENT)
        elif is_small[column][index]:
            withhold(column, index, f"a count from 1 to {policy.redact_below - 1}")
        else:
            show(column, index, policy.shown_count(float(value)))

    def proportion_cell(column: str, index, numerator: str, denominator: str) -> None:
        if is_missing(cells[column][index]):
            return
        if numerator not in frame or denominator not in frame:
            # A share without its counts beside it could give a small numerator away.
            withhold(column, index, "its numerator and denominator are not in this view")
            return
        parts = [out[numerator][index], out[denominator][index]]
        if any(isinstance(p, str) for p in parts):
            withhold(column, index, "its numerator or denominator is withheld")
        elif policy.rounds:
            show(column, index, (parts[0] / parts[1]) if parts[1] else float("nan"))

    def statistic_cell(column: str, index, over: tuple[str, ...]) -> None:
        if is_missing(cells[column][index]) and not any(
                c in frame and not is_missing(cells[c][index])
                and 0 < float(cells[c][index]) < policy.min_for_statistics for c in over):
            # A gap stays a gap; but a missing figure over a few people can say something
            # (no outlier judgement is "within the limits"), so it is withheld like a value.
            return
        if any(c not in frame for c in over):
            withhold(column, index, "the count it is over is not in this view")
            return
        if any(is_missing(cells[c][index]) or not policy.statistic_shown(
                float(cells[c][index])) for c in over):
            withhold(column, index, f"computed over fewer than {policy.min_for_statistics}")

    for column in counts:
        for index in frame.index:
            count_cell(column, index)
    for column, role in roles.items():
        for index in frame.index:
            if role.kind == "proportion":
                proportion_cell(column, index, role.numerator, role.denominator)
            elif role.kind == "statistic":
                statistic_cell(column, index, role.statistic_over(
                    cells[role.unit][index] if role.unit in frame else None))
            elif role.kind == "identifier":
                withhold(column, index, "identifies one person's record")
            elif role.kind == "indicator":
                unit = cells[role.unit][index]
                if unit == "count":
                    value = cells[column][index]
                    if not is_missing(value) and policy.is_withheld(float(value)):
                        withhold(column, index, f"a count from 1 to {policy.redact_below - 1}")
                    elif not is_missing(value):
                        show(column, index, policy.shown_count(float(value)))
                elif unit == "proportion":
                    proportion_cell(column, index, role.numerator, role.denominator)
                else:
                    statistic_cell(column, index, (role.denominator,))
    # Only a column that holds a mark becomes text; the others keep their types (a flag stays
    # boolean, a rounded count a number).
    shown = frame.copy()
    for column in marked | written:
        values = [out[column][i] for i in frame.index]
        if column in marked:
            shown[column] = pd.Series(values, index=frame.index, dtype=object)
        else:
            shown[column] = _as_before(pd.Series(values, index=frame.index), frame[column])
    withheld = pd.DataFrame(record, columns=["column", "row", "reason"])
    return Disclosed(shown, withheld, policy.describe())

