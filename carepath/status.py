"""A short account of what is published, and whether it is stale.

Read from the published copy (never blocked by a running load), the last build's record, and,
when no run holds it, the warehouse's ledger, to say whether the publication still shows the
warehouse as it is.
"""

from __future__ import annotations

import duckdb

from carepath.settings import Settings
from carepath.transform.build_record import last_build
from carepath.warehouse import open_read_only


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
    path = settings.published_path
    if not path.exists():
        return "\n".join([f"nothing published yet at {path}", *_last_build(settings)]), False
    with open_read_only(path) as con:
        published_at = con.execute("select max(published_at) from ops.publication").fetchall()[0][0]
        files = con.execute("""
            select count(*) filter (where status in ('loaded', 'rejected')),
                   count(*) filter (where status = 'rejected'),
                   count(*) filter (where status in ('duplicate', 'ignored')),
                   coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0)
            from ops.loaded_files""").fetchall()[0]
        marts = con.execute("""
            select table_name from duckdb_tables()
            where schema_name = 'marts' order by table_name""").fetchall()
        counts = {name: con.execute(f"select count(*) from marts.{name}").fetchall()[0][0]
                  for (name,) in marts}
    lines = [f"published {published_at:%Y-%m-%d %H:%M:%S %Z} -> {path}",
             f"  ledger: {files[0]} files ({files[1]} rejected), {files[2]} other entries "
             f"(duplicates, ignored), {files[3]} rows loaded, {files[4]} quarantined",
             *_staleness(settings), *_last_build(settings),
             *(f"  marts.{name}: {n} rows" for name, n in counts.items())]
    # An empty mart can be right (no follow-up window has closed in a short data set); what
    # must hold is that a publication exists and carries the marts.
    return "\n".join(lines), bool(counts)
