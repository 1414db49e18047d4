"""The marts on Spark: the dbt project built and tested by dbt-spark (an in-process session)
from the landed tables exported as Parquet gives every mart DuckDB gives, row for row."""

from __future__ import annotations

import time

import duckdb
from support.mart_parity import MartRows, compare_marts
from support.paths import ROOT
from support.warehouse_marts import duckdb_marts

from carepath.publish.parquet_export import LANDED_TABLES, export_parquet
from carepath.settings import Settings
from carepath.transform.dbt_build import build_marts_on_spark


def spark_marts(spark_dir) -> dict[str, MartRows]:
    """Spark's marts read straight from the Parquet files it keeps them in (one folder per
    table under its warehouse folder), as any Parquet reader would."""
    marts = {}
    con = duckdb.connect()
    try:
        for folder in sorted((spark_dir / "warehouse" / "marts.db").iterdir()):
            cursor = con.execute("select * from read_parquet(?)", [str(folder / "*.parquet")])
            marts[folder.name] = MartRows(tuple(c[0] for c in cursor.description),
                                          cursor.fetchall())
    finally:
        con.close()
    return marts


def test_every_mart_built_on_spark_equals_duckdbs(pipeline_run, tmp_path, record_property):
    settings, _ = pipeline_run
    started = time.perf_counter()
    written = export_parquet(settings, tmp_path / "parquet")
    spark_dir = tmp_path / "spark"
    report = build_marts_on_spark(Settings(data_dir=tmp_path / "data"), tmp_path / "parquet",
                                  spark_dir, echo=False)
    seconds = time.perf_counter() - started
    record_property("engine_seconds", round(seconds, 1))
    print(f"Spark (export to Parquet, dbt build with its data tests): {seconds:.1f} s")
    assert set(written) == {f"{schema}.{table}" for schema, table in LANDED_TABLES}
    assert written["raw.sessions"] > 1000
    assert report.success, "\n".join(report.failures)
    # Every model and every data test ran on Spark, and the tests passed.
    assert report.counts.get("model:success", 0) >= 30
    assert report.tests_passed >= 100 and report.tests_failed == 0
    expected = duckdb_marts(settings.warehouse_path)
    assert len(expected) >= 20
    assert compare_marts(expected, spark_marts(spark_dir)) == []
    # Spark's own files stay in its folder, none in the checkout.
    assert (spark_dir / "derby.log").exists() and not (ROOT / "derby.log").exists()
