"""Load new site extracts, build the audit marts with dbt, publish them for the dashboard.

Thin on purpose: every step is a function in carepath.pipeline, shared with `carepath run`. The
scheduler parses this file every few seconds, so it imports only Airflow at the top; the
pipeline (DuckDB, Great Expectations, dbt) is imported inside the tasks that run it.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import dag, task

DEFAULT_ARGS = {
    "owner": "carepath",
    # A scheduler retries a failed step; a one-shot `airflow dags test` (the demo) sets
    # CAREPATH_TASK_RETRIES=0 so that a failure is reported at once instead of after the delay.
    "retries": int(os.environ.get("CAREPATH_TASK_RETRIES", "2")),
    "retry_delay": timedelta(minutes=5),
}


@dag(
    dag_id="carepath_pipeline",
    description=__doc__.splitlines()[0],
    schedule="@hourly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,  # DuckDB takes one writer at a time
    default_args=DEFAULT_ARGS,
    tags=["carepath", "ingestion", "dbt"],
    params={"force_build": False},
)
def carepath_pipeline():
    @task
    def load_extracts() -> dict:
        """Validate and load every landed file the ledger has not seen (GX gate, quarantine)."""
        from carepath import pipeline
        from carepath.settings import load_settings

        report = pipeline.load_step(load_settings(), create_key=True)
        return {k: report[k] for k in ("rows_loaded", "rows_quarantined", "files_rejected")} | {
            "files_loaded": sum(f["status"] == "loaded" for f in report["files"])}

    @task.short_circuit(ignore_downstream_trigger_rules=True)
    def marts_outdated(loaded: dict, params: dict | None = None) -> bool:
        """Skip dbt and publishing when the publication already shows the warehouse and the
        models as they are."""
        from carepath import pipeline
        from carepath.settings import load_settings

        force = bool((params or {}).get("force_build"))
        # Stale, not "new rows this run": a build that died in an earlier run is retried.
        return pipeline.needs_build(load_settings(), force)

    @task
    def build_marts(params: dict | None = None) -> dict:
        """dbt build; with force_build, every model is rebuilt from the raw history."""
        from carepath import pipeline
        from carepath.settings import load_settings

        force = bool((params or {}).get("force_build"))
        return pipeline.build_step(load_settings(), force=force)

    @task
    def publish_marts(loaded: dict, built: dict) -> str:
        from carepath import pipeline
        from carepath.settings import load_settings

        return pipeline.publish_step(load_settings(), {"load": loaded, "build": built})

    loaded = load_extracts()
    built = build_marts()
    marts_outdated(loaded) >> built
    publish_marts(loaded, built)


carepath_pipeline()
