"""A short account of what is published: the ledger's totals and each mart's row count."""

from __future__ import annotations

import duckdb

from carepath.settings import Settings


def published_status(settings: Settings) -> tuple[str, bool]:
    path = settings.published_path
    if not path.exists():
        return f"nothing published yet at {path}", False
    con = duckdb.connect(str(path), read_only=True)
    try:
        published_at = con.execute("select max(published_at) from ops.publication").fetchall()[0][0]
        files = con.execute("""
            select count(*), count(*) filter (where status = 'rejected'),
                   coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0)
            from ops.loaded_files""").fetchall()[0]
        marts = con.execute("""
            select table_name, estimated_size from duckdb_tables()
            where schema_name = 'marts' order by table_name""").fetchall()
        counts = {name: con.execute(f"select count(*) from marts.{name}").fetchall()[0][0]
                  for name, _ in marts}
    finally:
        con.close()
    lines = [f"published {published_at:%Y-%m-%d %H:%M:%S %Z} -> {path}",
             f"  ledger: {files[0]} files ({files[1]} rejected), {files[2]} rows loaded, "
             f"{files[3]} quarantined",
             *(f"  marts.{name}: {n} rows" for name, n in counts.items())]
    # An empty mart can be right (no follow-up window has closed in a short data set); what
    # must hold is that a publication exists and carries the marts.
    return "\n".join(lines), bool(counts)
