"""Benchmark of the whole pipeline at regional-network scale, against a floor measured in the
same run.

For each generator scale (by default 1, 10 and 100; 8 sites, 24 months, seed 42; scale 100 is
about 21 M session rows), on the project's own generated data set (cached like load_gate.py's):

* the floor: DuckDB alone reading every landed file once per site, extract and layout (the
  same measurement as load_gate.py's floor);
* a full run on a fresh data folder, one fresh process per pipeline step, as the Airflow DAG
  runs them: load (stage, Great Expectations gate, commit; the report also splits out the
  gate's share), dbt build, publish;
* an incremental run after one new day of deliveries (one extra sessions file per site, about
  1/30 of a month), the same three steps;
* a run with nothing new (`carepath run`: load finds nothing, the build is skipped);
* every query the dashboard makes on the published copy, timed in one process (best of 3);
* at the smallest scale, the same full run through Airflow (`airflow dags test
  carepath_pipeline` on a fresh data folder): its wall time, each task's own duration from
  Airflow's records, and what Airflow adds around them.

Each step's wall time is the whole process (interpreter start and imports included); peak RSS
is the process's own or its children's (dbt runs as a child of the build step), whichever is
larger. Nothing here asserts: the targets are reported beside the numbers, met or missed, and
where a step misses, the report lists where its time went (the loader's phases; dbt's slowest
nodes from its run_results.json).

Run with the project's interpreter from the repository root (`make bench`):

    .venv/bin/python benchmarks/pipeline_scale.py --scales 1,10,100
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import load_gate as lg

REPO_DIR = Path(__file__).resolve().parents[1]
DEFAULT_WORKDIR = REPO_DIR / "data" / "bench"
DEFAULT_REPORT = REPO_DIR / "benchmarks" / "pipeline_scale_report.md"

TARGET_RATIO_TO_FLOOR = 5.0  # full run, at the largest scale
TARGET_DAY_SHARE_OF_FULL = 0.05  # a day's delivery, as a share of the full run
TARGET_NOTHING_NEW_S = 2.0
TARGET_PEAK_RSS_MIB = 4 * 1024
TARGET_QUERY_MS = 300.0
SLOWEST_DBT_NODES = 8

# One pipeline step in a fresh process, as the DAG's task runs it.
STEP_CHILD = lg._REPORT_RSS + r"""
import json, sys, time
started = time.perf_counter()
from carepath import pipeline
from carepath.settings import load_settings
step, data_dir = sys.argv[1], sys.argv[2]
s = load_settings(data_dir)
result = {}
if step == "load":
    report = pipeline.load_step(s, create_key=True)
    result = {"rows_loaded": report["rows_loaded"], "rows_quarantined": report["rows_quarantined"],
              "files_loaded": sum(f["status"] == "loaded" for f in report["files"]),
              "phase_s": report["seconds"]}
elif step == "build":
    report = pipeline.build_step(s)
    result = {"tests_passed": report["tests_passed"], "command": report["command"]}
elif step == "publish":
    pipeline.publish_step(s, {"benchmark": True})
elif step == "run":
    summary = pipeline.run_pipeline(s)
    result = {"ok": summary.ok, "built": summary.build is not None,
              "rows_loaded": summary.load.rows_loaded}
result["step_s"] = time.perf_counter() - started
print("LOAD_GATE_RESULT " + json.dumps({**result, **_peak_rss_kib()}), flush=True)
"""

# Every reader query the dashboard pages make, timed on the published copy.
QUERIES_CHILD = lg._REPORT_RSS + r"""
import json, sys, time
from pathlib import Path
from carepath.publish import reader
published = Path(sys.argv[1])
timings = {}
for name in ("published_at", "filter_options", "site_performance", "spc_summaries",
             "indicators", "bottlenecks", "waiting_list_monthly", "waiting_now_by_site",
             "longest_waiters", "referrals", "registry_completeness",
             "disagreeing_questionnaire_totals", "delivery_status", "quarantine_rules",
             "rejected_files"):
    query = getattr(reader, name)
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        query(published)
        runs.append((time.perf_counter() - started) * 1000)
    timings[name] = min(runs)
print("LOAD_GATE_RESULT " + json.dumps({"query_ms": timings, **_peak_rss_kib()}), flush=True)
"""

STEPS = ("load", "build", "publish")
AIRFLOW = Path(sys.executable).parent / "airflow"
DAG_ID = "carepath_pipeline"


@dataclass
class StepResult:
    step: str
    wall_s: float
    peak_rss_kib: int
    details: dict = field(default_factory=dict)


@dataclass
class RunResult:
    name: str
    steps: list[StepResult]
    rows: int

    @property
    def wall_s(self) -> float:
        return sum(s.wall_s for s in self.steps)

    @property
    def peak_rss_mib(self) -> float:
        return max(s.peak_rss_kib for s in self.steps) / 1024


@dataclass
class ScaleResult:
    scale: float
    rows_by_extract: dict[str, int]
    files: int
    floor_s: float
    floor_rss_kib: int
    full: RunResult
    new_day: RunResult
    new_day_rows: int
    nothing_new: RunResult
    query_ms: dict[str, float]
    dbt_nodes: dict[str, DbtNodes]  # by run name: full run, one new day
    airflow: AirflowRun | None = None


@dataclass
class AirflowRun:
    """A full run through `airflow dags test`: its wall time and its tasks' own durations as
    Airflow recorded them (the rest is Airflow: start-up, parsing the DAG, scheduling, XCom)."""

    wall_s: float
    task_s: dict[str, float]

    @property
    def around_tasks_s(self) -> float:
        return self.wall_s - sum(self.task_s.values())


def run_step(step: str, data_dir: Path) -> StepResult:
    wall, result = lg.run_child(STEP_CHILD, [step, str(data_dir)], data_dir.parent,
                                extra_env={"CAREPATH_SETTLE_SECONDS": "0"})
    lg.progress(f"    {step}: {wall:.2f} s, peak RSS {result['peak_rss_kib'] / 1024:,.0f} MiB")
    return StepResult(step, wall, result["peak_rss_kib"], result)


def run_steps(name: str, data_dir: Path, steps=STEPS) -> RunResult:
    lg.progress(f"  {name}")
    results = [run_step(step, data_dir) for step in steps]
    load = next((r for r in results if r.step in ("load", "run")), None)
    rows = 0 if load is None else (load.details.get("rows_loaded", 0)
                                   + load.details.get("rows_quarantined", 0))
    return RunResult(name, results, rows)


@dataclass
class DbtNodes:
    """What dbt's run_results.json says of one build: its nodes' own time, models apart from
    tests, and the slowest nodes. The build step's wall time less dbt's elapsed time is the
    process around it (imports, the build record); dbt's elapsed time less its nodes' time
    (two threads) is dbt's own start-up, parsing and scheduling."""

    elapsed_s: float = 0.0
    models_s: float = 0.0
    tests_s: float = 0.0
    slowest: list[tuple[str, float]] = field(default_factory=list)


def dbt_nodes(data_dir: Path) -> DbtNodes:
    results = data_dir / "dbt" / "target" / "run_results.json"
    if not results.exists():
        return DbtNodes()
    doc = json.loads(results.read_text())
    timed = [(n["unique_id"], n.get("execution_time") or 0.0) for n in doc["results"]]
    return DbtNodes(
        elapsed_s=doc.get("elapsed_time") or 0.0,
        models_s=sum(t for node, t in timed if node.startswith("model.")),
        tests_s=sum(t for node, t in timed if node.startswith("test.")),
        slowest=sorted(timed, key=lambda t: -t[1])[:SLOWEST_DBT_NODES])


def run_through_airflow(landing_cache: Path, run_dir: Path) -> AirflowRun:
    """The full run as Airflow runs it: a throwaway Airflow home (its metadata database is
    migrated first, untimed), then `airflow dags test` on a fresh data folder, timed whole."""
    home = run_dir / "airflow_home"
    home.mkdir()
    data_dir = lg.prepare_data_dir(landing_cache, run_dir / "airflow_run")
    env = {**os.environ, "AIRFLOW_HOME": str(home),
           "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_DIR / "dags"),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "CAREPATH_TASK_RETRIES": "0",
           "CAREPATH_DATA_DIR": str(data_dir), "CAREPATH_SETTLE_SECONDS": "0"}
    subprocess.run([str(AIRFLOW), "db", "migrate"], env=env, check=True, capture_output=True)
    lg.progress("  full run through airflow dags test")
    started = time.perf_counter()
    done = subprocess.run([str(AIRFLOW), "dags", "test", DAG_ID], env=env, cwd=run_dir,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).splitlines()[-30:])
        raise RuntimeError(f"airflow dags test failed (exit {done.returncode}):\n{tail}")
    con = sqlite3.connect(home / "airflow.db")
    try:
        tasks = dict(con.execute("select task_id, coalesce(duration, 0) from task_instance "
                                 "where dag_id = ?", [DAG_ID]).fetchall())
    finally:
        con.close()
    lg.progress(f"    {wall:.2f} s, tasks {sum(tasks.values()):.2f} s")
    return AirflowRun(wall, tasks)


def benchmark_scale(scale: float, workdir: Path, keep: bool,
                    through_airflow: bool = False) -> ScaleResult:
    lg.progress(f"== scale {scale:g}")
    landing_cache = lg.generated_landing(workdir, scale, lg.SEED)
    mappings = lg.site_mappings()
    groups = lg.landed_csvs(landing_cache)
    run_dir = Path(tempfile.mkdtemp(prefix=f"pipeline-scale{scale:g}-", dir=workdir))
    try:
        floor = lg.measure_floor(f"floor @ scale {scale:g}", groups, mappings, run_dir, False)
        data_dir = lg.prepare_data_dir(landing_cache, run_dir)
        full = run_steps(f"full run @ scale {scale:g}", data_dir)
        nodes = {full.name: dbt_nodes(data_dir)}
        new_files = lg.add_new_day(data_dir / "landing", mappings)
        new_day_rows = sum(max(len(p.read_bytes().splitlines()) - 1, 0)
                           for paths in new_files.values() for p in paths)
        new_day = run_steps(f"one new day @ scale {scale:g}", data_dir)
        nodes[new_day.name] = dbt_nodes(data_dir)
        nothing = run_steps(f"nothing new @ scale {scale:g}", data_dir, steps=("run",))
        lg.progress("  dashboard queries")
        _, queries = lg.run_child(QUERIES_CHILD, [str(data_dir / "published.duckdb")], run_dir)
        airflow = run_through_airflow(landing_cache, run_dir) if through_airflow else None
    finally:
        if keep:
            lg.progress(f"  kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    return ScaleResult(scale, floor.details["rows_by_extract"],
                       sum(len(p) for p in groups.values()), floor.wall_s, floor.peak_rss_kib,
                       full, new_day, new_day_rows, nothing, queries["query_ms"], nodes,
                       airflow)


# --- the report ---------------------------------------------------------------------------------

def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def results_table(results: list[ScaleResult]) -> list[str]:
    lines = ["| scale | run | rows | load s | build s | publish s | total s | floor s | "
             "ratio to floor | rows/s | peak RSS MiB (load / build / publish) |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        for run in (r.full, r.new_day, r.nothing_new):
            by_step = {s.step: s for s in run.steps}
            cells = [f"{by_step[s].wall_s:.1f}" if s in by_step else "-" for s in STEPS]
            rss = " / ".join(f"{by_step[s].peak_rss_kib / 1024:,.0f}" if s in by_step else "-"
                             for s in STEPS)
            if "run" in by_step:
                rss = f"{by_step['run'].peak_rss_kib / 1024:,.0f} (one process)"
            ratio = run.wall_s / r.floor_s if run is r.full else None
            rate = run.rows / run.wall_s if run.rows else None
            lines.append(f"| {r.scale:g} | {run.name.split(' @')[0]} | {run.rows:,} | "
                         + " | ".join(cells) + f" | {run.wall_s:.1f} | {r.floor_s:.2f} | "
                         f"{lg.fmt(ratio, '.1f')} | {lg.fmt(rate, ',.0f')} | {rss} |")
    return lines


def target_lines(results: list[ScaleResult]) -> list[str]:
    lines = []
    for r in results:
        ratio = r.full.wall_s / r.floor_s
        share = r.new_day.wall_s / r.full.wall_s
        rss = max(r.full.peak_rss_mib, r.new_day.peak_rss_mib, r.nothing_new.peak_rss_mib)
        slowest = max(r.query_ms.items(), key=lambda t: t[1])
        stated = " (the targets are stated at scale 100)" if r.scale < 100 else ""
        lines += [
            f"- scale {r.scale:g}{stated}:",
            f"  - full run within {TARGET_RATIO_TO_FLOOR:g}x the floor: {ratio:.1f}x - "
            f"{verdict(ratio <= TARGET_RATIO_TO_FLOOR)}",
            f"  - a day's delivery within {TARGET_DAY_SHARE_OF_FULL:.0%} of a full run: "
            f"{share:.1%} - {verdict(share <= TARGET_DAY_SHARE_OF_FULL)}",
            f"  - nothing new under {TARGET_NOTHING_NEW_S:g} s: {r.nothing_new.wall_s:.2f} s - "
            f"{verdict(r.nothing_new.wall_s < TARGET_NOTHING_NEW_S)}",
            f"  - peak RSS under {TARGET_PEAK_RSS_MIB / 1024:g} GiB in every process: "
            f"{rss:,.0f} MiB - {verdict(rss < TARGET_PEAK_RSS_MIB)}",
            f"  - every dashboard query under {TARGET_QUERY_MS:g} ms: slowest {slowest[0]} "
            f"{slowest[1]:.0f} ms - {verdict(slowest[1] < TARGET_QUERY_MS)}",
        ]
    return lines


def detail_lines(results: list[ScaleResult]) -> list[str]:
    lines = []
    for r in results:
        rows = ", ".join(f"{k} {v:,}" for k, v in sorted(r.rows_by_extract.items()))
        lines.append(f"- scale {r.scale:g}: {r.files} files; {rows}; one new day: "
                     f"{r.new_day_rows:,} session rows")
        for run in (r.full, r.new_day):
            load = next(s for s in run.steps if s.step == "load")
            phases = sorted(load.details.get("phase_s", {}).items(), key=lambda t: -t[1])
            lines.append(f"  - {run.name}, where the load's time went: "
                         + "; ".join(f"{k} {v:.1f} s" for k, v in phases))
        for run in (r.full, r.new_day):
            nodes = r.dbt_nodes.get(run.name)
            if not nodes or not nodes.slowest:
                continue
            build = next(s for s in run.steps if s.step == "build")
            lines.append(
                f"  - {run.name}, where the build's time went: {build.wall_s:.1f} s in all, dbt "
                f"{nodes.elapsed_s:.1f} s of it; node time (two threads) models "
                f"{nodes.models_s:.1f} s, tests {nodes.tests_s:.1f} s; slowest nodes: "
                + "; ".join(f"{node.split('.', 2)[-1]} {seconds:.1f} s"
                            for node, seconds in nodes.slowest))
        lines.append("  - dashboard queries (ms, best of 3): " + ", ".join(
            f"{k} {v:.0f}" for k, v in r.query_ms.items()))
    return lines


def airflow_lines(results: list[ScaleResult]) -> list[str]:
    lines = []
    for r in results:
        if r.airflow is None:
            continue
        run = r.airflow
        tasks = "; ".join(f"{task} {seconds:.1f} s" for task, seconds in run.task_s.items())
        lines += [
            f"- scale {r.scale:g}, full run: {run.wall_s:.1f} s through `airflow dags test "
            f"{DAG_ID}` against {r.full.wall_s:.1f} s for the same steps as plain processes.",
            f"  - the tasks' own time, as Airflow recorded it: {tasks} "
            f"({sum(run.task_s.values()):.1f} s in all);",
            f"  - Airflow around them (starting the CLI, parsing the DAG, scheduling the tasks, "
            f"passing results): {run.around_tasks_s:.1f} s, "
            f"{run.around_tasks_s / run.wall_s:.0%} of the run.",
        ]
    return lines


def render_report(results: list[ScaleResult], info: list[tuple[str, str]]) -> str:
    lines = ["# Pipeline benchmark at network scale", ""]
    lines += [f"- {key}: {value}" for key, value in info]
    lines += ["", "## Results", ""] + results_table(results)
    lines += ["", "rows: rows the load step read (loaded + quarantined). Each step is a fresh "
              "process, as the DAG's task runs it: wall time includes interpreter start and "
              "imports. floor s: DuckDB alone reading the same files once (fastest of "
              f"{lg.FLOOR_RUNS}). ratio to floor: the full run's total over the floor. "
              "nothing new: `carepath run` in one process."]
    lines += ["", "## Targets", ""] + target_lines(results)
    airflow = airflow_lines(results)
    if airflow:
        lines += ["", "## Through Airflow", ""] + airflow
    lines += ["", "## Details", ""] + detail_lines(results)
    return "\n".join(lines) + "\n"


def parse_scales(text: str) -> list[float]:
    scales = [float(part) for part in text.split(",") if part.strip()]
    if not scales or any(s <= 0 for s in scales):
        raise argparse.ArgumentTypeError("--scales takes positive numbers, e.g. 1,10,100")
    return scales


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=parse_scales, default=parse_scales("1,10,100"),
                        help="generator scales, comma-separated (default 1,10,100)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help="where generated sets are cached and runs happen "
                             f"(default {DEFAULT_WORKDIR.relative_to(REPO_DIR)})")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT,
                        help=f"markdown report (default {DEFAULT_REPORT.relative_to(REPO_DIR)})")
    parser.add_argument("--keep", action="store_true", help="keep each run's data folder")
    parser.add_argument("--no-airflow", action="store_true",
                        help="skip the full run through Airflow at the smallest scale")
    args = parser.parse_args(argv)

    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    smallest = min(args.scales)
    results = [benchmark_scale(scale, workdir, args.keep,
                               through_airflow=scale == smallest and not args.no_airflow)
               for scale in args.scales]
    report = render_report(results, lg.machine_info())
    print(report)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report)
    lg.progress(f"report written to {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
