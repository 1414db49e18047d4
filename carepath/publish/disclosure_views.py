"""Views of the marts for a published audience: every view shows a cell the same way.

Complements depend on which rows sit together. Disclosed view by view, a filter that leaves out
a site would show a cell that the unfiltered view withholds as a complement, and the two read
one after the other give the withheld count away. So the decisions are made once, on the whole
marts, together (`disclosed_marts`: a complement in one mart can be a sum of cells in another),
and a view - a query's answer: some of a mart's rows and columns - shows each cell as the
whole mart's disclosure shows it (`disclose_view`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from carepath.publish import reader
from carepath.publish.disclosure import Disclosed, disclose, groups_of, is_missing
from carepath.publish.disclosure_declarations import MartDisclosure, Role
from carepath.publish.disclosure_policies import Policy
from carepath.publish.published_copy import Published


class UnmatchedView(ValueError):
    """A query's answer whose rows cannot be told apart by the mart's dimension columns."""


def _row_key(values) -> tuple:
    return tuple(None if is_missing(v) else v for v in values)


def disclose_view(answer: pd.DataFrame, whole_mart: pd.DataFrame, decided: Disclosed,
                  mart: MartDisclosure, policy: Policy,
                  origins: Mapping[str, tuple[str, str, Role]] | None = None) -> Disclosed:
    """`answer` (rows and columns of `mart`, read by a query) as `decided` (the whole mart
    `whole_mart`, disclosed under `policy`) shows them. `origins` names, for an answer
    column that is not the mart's own column of that name, the mart and column it is and its
    role there: renamed from this mart, it shows as its original does; joined from another, it
    is shown only if it is a dimension there. Each answer row is found in the mart by the
    mart's dimension columns the answer carries; an answer that does not carry enough of them
    to single its rows out is an error (the query must select them), never a guess."""
    origins = origins or {}
    source = {c: origins.get(c, (mart.mart, c, mart.columns.get(c)))[:2] for c in answer}
    keys = [c for c in answer.columns
            if source[c][0] == mart.mart and source[c][1] in mart.dimensions()]
    position: dict[tuple, object] = {}
    for index, values in zip(whole_mart.index, whole_mart[[source[c][1] for c in keys]]
                             .itertuples(index=False, name=None), strict=True):
        key = _row_key(values)
        if key in position:
            raise UnmatchedView(f"the columns {keys} do not single out a row of {mart.mart}: "
                                "the query must select more of its dimension columns")
        position[key] = index
    rows = []
    for key in answer[keys].itertuples(index=False, name=None):
        if _row_key(key) not in position:
            raise UnmatchedView(f"a row of the answer is not a row of {mart.mart}: {key}")
        rows.append(position[_row_key(key)])
    reasons = {(column, row): reason for column, row, reason
               in decided.withheld.itertuples(index=False, name=None)}
    shown = answer.copy()
    record: list[tuple[str, object, str]] = []
    for column in answer.columns:
        origin_mart, origin = source[column]
        if column in keys:
            continue
        if origin_mart != mart.mart:
            role = origins[column][2]
            if role is not None and role.kind == "dimension":
                continue
            reason = f"joined from {origin_mart}, where it is not a dimension"
        elif origin not in mart.columns:
            reason = "no disclosure role declared for this column"
        else:
            values = decided.frame.loc[rows, origin]
            shown[column] = pd.Series(values.to_numpy(), index=answer.index, dtype=values.dtype)
            record += [(column, index, reasons[origin, row])
                       for index, row in zip(answer.index, rows, strict=True)
                       if (origin, row) in reasons]
            continue
        shown[column] = pd.Series(policy.withheld_label, index=answer.index, dtype=object)
        record += [(column, index, reason) for index in answer.index]
    withheld = pd.DataFrame(record, columns=["column", "row", "reason"])
    return Disclosed(shown, withheld, decided.legend)


def disclose_marts(frames: Mapping[str, pd.DataFrame], declarations: Mapping[str, MartDisclosure],
                   policy: Policy) -> dict[str, Disclosed]:
    """Marts shown together, disclosed together. A cell one mart hides as a complement can be
    the sum of cells another shows (a site's waiting list hidden in the site table, its
    priorities shown in the census): for every row total declared as a link (`elsewhere` with
    the other mart), a group whose total the other mart withholds keeps at least one of its own
    cells hidden, its smallest non-zero part made a complement. Hiding that part may move the
    complements of this mart in turn, so the marts are disclosed again until nothing changes.
    A group inside a window the other mart's row sets (a funnel's months) is protected against
    that row's total as a row total is (`external`)."""
    links = {name: list(linked_groups(name, frames, declarations)) for name in frames}
    external = {name: [(list(group), mine, frames[other].at[row, theirs])
                       for group, other, row, mine, theirs, windowed in links[name]
                       if windowed and pd.notna(frames[other].at[row, theirs])]
                for name in frames}
    forced: dict[str, set[tuple[object, str]]] = {name: set() for name in frames}
    shown: dict[str, Disclosed] = {}
    changed = set(frames)  # the marts to disclose (again): only those that gained a cell
    for _ in range(20):
        shown |= {name: disclose(frames[name], declarations[name], policy, forced[name],
                                 external[name]) for name in changed}
        changed = set()
        for name, frame in frames.items():
            for group, other, row, mine, theirs, _ in links[name]:
                if not isinstance(shown[other].frame.at[row, theirs], str):
                    continue  # their total is shown: this mart's own rules protect its parts
                if any(isinstance(shown[name].frame.at[i, mine], str) for i in group):
                    continue  # a part is hidden already: the sum cannot be formed
                parts = frame.loc[group, mine].dropna()
                parts = parts[parts > 0]
                if parts.empty:
                    continue
                forced[name].add((parts.sort_values(kind="stable").index[0], mine))
                changed.add(name)
        if not changed:
            return shown
    raise RuntimeError("disclosure of linked marts did not settle")


def linked_groups(name: str, frames: Mapping[str, pd.DataFrame],
                  declarations: Mapping[str, MartDisclosure]):
    """(rows of this mart, other mart, its row, column here, column there, windowed) for each
    group of a row total declared as a link whose total the other mart holds in one row."""
    frame, mart = frames[name], declarations[name]
    for total in mart.row_totals:
        if not total.linked or total.elsewhere not in frames:
            continue
        other = frames[total.elsewhere]
        for column, value in total.where:
            other = other[other[column] == value]
        counts = [c for c, role in mart.columns.items() if role.kind == "count" and c in frame]
        linked = total.linked_columns(counts, other.columns)
        keys = [c for c in total.by if c in frame]
        theirs_named = dict(total.on)
        matched = [c for c in keys if theirs_named.get(c, c) in other]
        if total.within is not None:
            yield from _window_groups(frame, keys, other, total.within, total.elsewhere, linked)
            continue
        rows: dict[tuple, list] = {}
        for index, values in zip(other.index, other[[theirs_named.get(c, c) for c in matched]]
                                 .itertuples(index=False, name=None), strict=True):
            rows.setdefault(_row_key(values), []).append(index)
        first = dict(zip(frame.index, frame[matched].itertuples(index=False, name=None),
                         strict=True))
        for group in (groups_of(frame, keys) if keys else [frame.index]):
            found = rows.get(_row_key(first[group[0]]), [])
            if len(found) == 1:  # else not shown there, or not one figure: not this mart's
                for mine, theirs in linked.items():
                    yield group, total.elsewhere, found[0], mine, theirs, False


def _window_groups(frame: pd.DataFrame, keys: list[str], other: pd.DataFrame,
                   within: tuple[str, str, str], other_name: str, linked: dict[str, str]):
    """For each row of the other mart: this mart's rows agreeing on `keys` whose `within`
    column lies between that row's first and last values."""
    column, first, last = within
    for row in other.index:
        agree = pd.Series(True, index=frame.index)
        for key in (k for k in keys if k in other):
            value = other.at[row, key]
            agree &= frame[key].isna() if is_missing(value) else frame[key] == value
        inside = agree & (frame[column] >= other.at[row, first]) & (
            frame[column] <= other.at[row, last])
        if inside.any():
            for mine, theirs in linked.items():
                yield frame.index[inside], other_name, row, mine, theirs, True


def disclosed_marts(published: Published, declarations: Mapping[str, MartDisclosure],
                    policy: Policy) -> dict[str, tuple[pd.DataFrame, Disclosed]]:
    """Every published mart the dashboard reads, whole, and its disclosure under `policy`,
    decided together (`disclose_marts`). Each mart's rows are put in the order of its
    dimensions first, so that ties between cells are broken alike on every engine and run."""
    names = sorted({source.mart for source in reader.SOURCES.values()
                    if declarations[source.mart].audience == "published"})
    frames = {}
    for name in names:
        mart = declarations[name]
        # Named without a schema, as the reader's queries name them (on both engines).
        frames[name] = (published.frame(f"select * from {name}")
                        .sort_values(mart.dimensions(), na_position="first", kind="stable")
                        .reset_index(drop=True))
    shown = disclose_marts(frames, declarations, policy)
    return {name: (frames[name], shown[name]) for name in names}


def published_answer(query: str, answer: pd.DataFrame,
                     marts: Mapping[str, tuple[pd.DataFrame, Disclosed]],
                     declarations: Mapping[str, MartDisclosure], policy: Policy
                     ) -> Disclosed | None:
    """The answer of reader query `query` as a published audience may see it, each cell as
    the joint disclosure of its mart (`marts`, from disclosed_marts) shows it; None for a list
    of referrals or files, which is never published."""
    mart = declarations[reader.SOURCES[query].mart]
    if mart.audience != "published":
        return None
    whole, decided = marts[mart.mart]
    return disclose_view(answer, whole, decided, mart, policy, origins_of(query, declarations))


def origins_of(query: str, declarations: Mapping[str, MartDisclosure]
               ) -> dict[str, tuple[str, str, Role | None]]:
    """For a query's answer columns that are not its mart's own (reader.SOURCES): the mart and
    column each is, and its role there."""
    return {column: (mart, origin, declarations[mart].columns.get(origin))
            for column, mart, origin in reader.SOURCES[query].columns}
