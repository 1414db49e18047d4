"""A short account of what is published, and whether it is stale.

Read from the published copy (never blocked by a running load), the last build's record, and,
when no run holds it, the warehouse's ledger, to say whether the publication still shows the
warehouse as it is.
"""

from __future__ import annotations

import duckdb

from carepath.ingest.load_record import file_lines, last_load
from carepath.publish.publication import published_copy_damaged
from carepath.publish.published_copy import published_copy
from carepath.settings import Settings
from carepath.store import store_errors
from carepath.transform.build_record import last_build


def _last_load(settings: Settings) -> list[str]:
    load = last_load(settings)
    if load is None:
        return []
    files = load["files"]
    return [f"  last load: finished at {load['finished_at']}, {len(files)} new files judged, "
            f"{load['already_loaded']} already in the ledger, {len(load['waiting'])} still "
            "arriving", *(f"    {line}" for line in file_lines(load))]


def _last_build(settings: Settings) -> list[str]:
    build = last_build(settings)
    if build is None:
        return []
    if build.get("success"):
        return [f"  last build: passed at {build.get('finished_at')}"]
    return [f"  last build: FAILED at {build.get('finished_at')}; the dashboard shows the "
            "publication above", *(f"    {f}" for f in build.get("failures", [])[:20])]


def _staleness(settings: Settings) -> list[str]:
    from carepath.pipeline import staleness

    try:
        reasons = staleness(settings)
    except duckdb.IOException:
        return ["  freshness: unknown (a run is writing the warehouse now)"]
    if not reasons:
        return ["  freshness: up to date with the warehouse"]
    return [f"  STALE: {'; '.join(reasons)}; the next run rebuilds and publishes"]


def published_status(settings: Settings) -> tuple[str, bool]:
    published = published_copy(settings)
    if not published.exists():
        return "\n".join([f"nothing published yet at {published}", *_last_load(settings),
                          *_last_build(settings)]), False
    if published_copy_damaged(settings):
        return "\n".join([f"the published copy at {published} is DAMAGED: its checksum differs "
                          "from the one recorded at publication; the next run publishes a "
                          "fresh one", *_last_load(settings), *_last_build(settings)]), False
    try:
        return _described(settings, published)
    except store_errors() as exc:
        return "\n".join([f"the published copy at {published} cannot be read "
                          f"({type(exc).__name__}: {str(exc).splitlines()[0]}); the next run "
                          "publishes a fresh one", *_last_load(settings),
                          *_last_build(settings)]), False


def _described(settings: Settings, published) -> tuple[str, bool]:
    published_at = published.frame(
        "select max(published_at) as published_at from publication").published_at.iloc[0]
    files = published.frame("""
        select count(case when status in ('loaded', 'rejected') then 1 end) as files,
               count(case when status = 'rejected' then 1 end) as rejected,
               count(case when status in ('duplicate', 'ignored') then 1 end) as other,
               coalesce(sum(rows_loaded), 0) as rows_loaded,
               coalesce(sum(rows_quarantined), 0) as rows_quarantined
        from loaded_files""").iloc[0].astype(int).tolist()
    marts = published.frame(
        "select table_name from information_schema.tables where table_schema = ? "
        "order by table_name", [published.marts_schema]).table_name
    counts = {name: int(published.frame(f"select count(*) as n from {name}").n.iloc[0])
              for name in marts}
    lines = [f"published {published_at:%Y-%m-%d %H:%M:%S %Z} -> {published}",
             f"  ledger: {files[0]} files ({files[1]} rejected), {files[2]} other entries "
             f"(duplicates, ignored), {files[3]} rows loaded, {files[4]} quarantined",
             *(["  nothing loaded yet: no file has reached the warehouse, so the marts are "
                "empty"] if files[3] == 0 else []),
             *_staleness(settings), *_last_load(settings), *_last_build(settings),
             *(f"  marts.{name}: {n} rows" for name, n in counts.items())]
    # An empty mart can be right (no follow-up window has closed in a short data set); what
    # must hold is that a publication exists and carries the marts.
    return "\n".join(lines), bool(counts)
