"""Benchmark of the ingestion "load and gate" step, against a floor measured in the same run.

What is measured, for each target size (by default 1 M and 10 M session rows):

* the data set: the project's own generator (`carepath.generate.generate`, 8 sites, 24 months,
  seed 42) at the scale that gives about that many session rows. Generated sets are cached
  under the work folder, keyed by scale and seed, so a re-run reuses them;
* the floor: a fresh Python process that only asks DuckDB to read every landed CSV once (one
  `read_csv` per site and extract, in the site's delimiter and encoding, every cell as text) and
  count the rows. Run twice; the faster run counts. The columns are named, as the loader names
  them, rather than sniffed: sniffing every file took most of the floor's time at 1 M rows
  (`--floor-sniff` measures it the sniffing way, with all_varchar=true);
* load and gate: a fresh Python process that runs `load_new_files` on a data folder whose
  `landing/` holds the same files: stage, judge with the Great Expectations gate, commit;
* two incremental runs on the loaded warehouse: "nothing new" (the loader again, no new files)
  and "one new day" (one small extra sessions delivery per site, about 1/30 of a month).

Each measurement is the wall time of the whole process (interpreter start, imports and all) and
the peak resident memory the process reports for itself at exit.

Why the floor is measured in the same run, on the same files: absolute seconds say little across
machines, disks, page-cache states and DuckDB versions. The ratio of the loader's time to the
time DuckDB needs merely to read the same bytes on the same machine a moment earlier does: it is
the cost of everything the loader adds (mapping, parsing, pseudonymising, the gate, the ledger).
The floor counts rows, so DuckDB may skip converting cells it never returns: it is a lower
bound, not a target to reach.

Nothing here asserts. The targets are reported beside the numbers, each marked met or missed:
load and gate within 2x the floor at 10 M session rows, peak RSS under 4 GiB, and the one-new-day
load costing per row no more than 2x what the full load costs per row.

Run with the project's interpreter from the repository root:

    .venv/bin/python benchmarks/load_gate.py --rows-millions 1,10
"""

from __future__ import annotations

import argparse
import csv
import datetime
import errno
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[1]
DEFAULT_WORKDIR = REPO_DIR / "data" / "bench"
DEFAULT_REPORT = REPO_DIR / "benchmarks" / "load_gate_report.md"

SITES = 8
MONTHS = 24
SEED = 42
# Session rows the generator writes at scale 1 with 8 sites and 24 months (about 0.21 M).
SESSION_MILLIONS_AT_SCALE_1 = 0.208
EXTRACTS = ("referrals", "sessions", "outcomes")

FLOOR_RUNS = 2
NEW_DAY_FRACTION_OF_MONTH = 1 / 30
NEW_DAY_ID_SUFFIX = "-D1"

TARGET_SIZE_MILLIONS = 10.0  # the load-to-floor target is stated at this size
TARGET_RATIO_TO_FLOOR = 2.0
TARGET_PEAK_RSS_MIB = 4 * 1024
TARGET_NEW_DAY_PER_ROW_RATIO = 2.0  # "in proportion": per-row cost within 2x the full load's

RESULT_MARKER = "LOAD_GATE_RESULT "
FLOOR_SNIFF_NOTE = {
    False: "columns named, all text, no sniffing (auto_detect=false), as the loader reads",
    True: "DuckDB sniffs each file (header=true, all_varchar=true): --floor-sniff",
}

# Appended to every child: peak RSS of the child itself and of any process it waited for.
# ru_maxrss is in KiB on Linux.
_REPORT_RSS = r"""
import resource as _resource
def _peak_rss_kib():
    own = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss
    children = _resource.getrusage(_resource.RUSAGE_CHILDREN).ru_maxrss
    return {"peak_rss_kib": max(own, children), "own_rss_kib": own, "children_rss_kib": children}
"""

# The floor: DuckDB alone, each statement one read_csv over a group of files, rows counted.
FLOOR_CHILD = _REPORT_RSS + r"""
import json, sys
import duckdb
statements = json.loads(sys.stdin.read())
con = duckdb.connect()
rows = {}
for item in statements:
    count = con.execute(item["sql"]).fetchall()[0][0]
    rows[item["extract"]] = rows.get(item["extract"], 0) + count
print("LOAD_GATE_RESULT " + json.dumps({"rows_by_extract": rows, **_peak_rss_kib()}), flush=True)
"""

# Load and gate: exactly what the pipeline's load task calls.
LOADER_CHILD = _REPORT_RSS + r"""
import json, sys, time
started = time.perf_counter()
from carepath.settings import load_settings
from carepath.ingest.loader import load_new_files
imported = time.perf_counter()
s = load_settings(sys.argv[1])
r = load_new_files(s, create_key=True)
done = time.perf_counter()
import collections, pathlib
import carepath
files_by_status = collections.Counter(f.status for f in r.files)
waiting = getattr(r, "waiting", None)  # files still arriving, where the loader reports them
if waiting:
    files_by_status["waiting"] = len(waiting)
print("LOAD_GATE_RESULT " + json.dumps({
    "rows_loaded": r.rows_loaded, "rows_quarantined": r.rows_quarantined,
    "files_by_status": dict(sorted(files_by_status.items())),
    "files_rejected": r.files_rejected, "already_loaded": r.already_loaded,
    "import_s": imported - started, "load_s": done - imported,
    "phase_s": getattr(r, "seconds", {}),
    "carepath_dir": str(pathlib.Path(carepath.__file__).parent),
    **_peak_rss_kib()}), flush=True)
"""


# --- small helpers ------------------------------------------------------------------------------

def progress(message: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def parse_sizes(text: str) -> list[float]:
    sizes = [float(part) for part in text.split(",") if part.strip()]
    if not sizes or any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError("--rows-millions takes positive numbers, e.g. 1,10")
    return sizes


def scale_for(target_millions: float) -> float:
    return max(0.1, round(target_millions / SESSION_MILLIONS_AT_SCALE_1, 1))


def sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def link_or_copy(src: str, dst: str) -> None:
    """A hard link (same bytes, same mtime, no copying); a preserving copy across devices."""
    try:
        os.link(src, dst)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        shutil.copy2(src, dst)


# --- the data set -------------------------------------------------------------------------------

def generated_landing(workdir: Path, scale: float, seed: int) -> Path:
    """The cached generated set for this scale and seed, generating it first if need be."""
    cache = workdir / "generated" / f"sites{SITES}-months{MONTHS}-scale{scale:g}-seed{seed}"
    done_marker = cache / ".complete"
    if done_marker.exists():
        progress(f"reusing generated data set {cache}")
        return cache / "landing"
    partial = cache.with_name(cache.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    progress(f"generating scale {scale:g} (seed {seed}) into {cache} - this can take minutes")
    started = time.perf_counter()
    from carepath.generate import generate

    generate(partial / "landing", sites=SITES, months=MONTHS, scale=scale, seed=seed)
    done_marker_partial = partial / ".complete"
    done_marker_partial.write_text(f"generated in {time.perf_counter() - started:.0f} s\n")
    partial.rename(cache)
    progress(f"generated in {time.perf_counter() - started:.0f} s")
    return cache / "landing"


def landed_csvs(landing: Path) -> dict[tuple[str, str], list[Path]]:
    """The generated files by (site, extract): `<landing>/<SITE>/<extract>/*.csv`."""
    groups: dict[tuple[str, str], list[Path]] = {}
    for path in sorted(landing.glob("*/*/*.csv")):
        site, extract = path.parts[-3], path.parts[-2]
        groups.setdefault((site, extract), []).append(path)
    return groups


def site_mappings():
    from carepath.ingest.mapping import load_mappings
    from carepath.settings import load_settings

    return load_mappings(load_settings().mappings_dir)


def prepare_data_dir(landing_cache: Path, run_dir: Path) -> Path:
    """A fresh data folder whose landing/ holds the generated files, mtimes intact."""
    data_dir = run_dir / "data"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    shutil.copytree(landing_cache, data_dir / "landing", copy_function=link_or_copy,
                    ignore=shutil.ignore_patterns("ground_truth.json"))
    return data_dir


# --- the one new day ----------------------------------------------------------------------------

def write_new_day_file(newest: Path, mapping) -> tuple[Path, int]:
    """Beside `newest` (a site's latest sessions file), a new delivery: its first 1/30 of rows,
    session ids suffixed so they are new records, in the site's own delimiter and encoding."""
    id_column = mapping.extract("sessions").source_column("session_id")
    with newest.open(encoding=mapping.encoding, newline="") as fh:
        preamble = [fh.readline() for _ in range(mapping.skip_lines)]
        rows = list(csv.reader(fh, delimiter=mapping.delimiter))
    header, data = rows[0], rows[1:]
    id_index = [h.lstrip("\ufeff").strip() for h in header].index(id_column)
    keep = data[:max(1, round(len(data) * NEW_DAY_FRACTION_OF_MONTH))]
    for row in keep:
        row[id_index] += NEW_DAY_ID_SUFFIX
    target = newest.with_name(newest.stem + NEW_DAY_ID_SUFFIX + newest.suffix)
    with target.open("w", encoding=mapping.encoding, newline="") as fh:
        fh.writelines(preamble)
        writer = csv.writer(fh, delimiter=mapping.delimiter)
        writer.writerow(header)
        writer.writerows(keep)
    return target, len(keep)


def add_new_day(landing: Path, mappings) -> dict[tuple[str, str], list[Path]]:
    """One extra sessions delivery per site; returns the new files grouped like landed_csvs."""
    new_files: dict[tuple[str, str], list[Path]] = {}
    for (site, extract), paths in landed_csvs(landing).items():
        if extract != "sessions":
            continue
        path, _ = write_new_day_file(paths[-1], mappings[site])  # names sort by month
        new_files[(site, extract)] = [path]
    return new_files


# --- child processes ----------------------------------------------------------------------------

@dataclass
class Measurement:
    name: str
    rows: int | None
    wall_s: float
    floor_s: float | None
    peak_rss_kib: int
    details: dict = field(default_factory=dict)

    @property
    def ratio_to_floor(self) -> float | None:
        return self.wall_s / self.floor_s if self.floor_s else None

    @property
    def rows_per_s(self) -> float | None:
        return self.rows / self.wall_s if self.rows else None

    @property
    def peak_rss_mib(self) -> float:
        return self.peak_rss_kib / 1024


def run_child(code: str, args: list[str], cwd: Path, stdin: str = "",
              extra_env: dict[str, str] | None = None) -> tuple[float, dict]:
    """Run `python -c code` in a fresh process; its wall time and the result it printed."""
    env = {**os.environ, **(extra_env or {})}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    results = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if done.returncode != 0 or not results:
        tail = "\n".join((done.stderr or done.stdout).splitlines()[-30:])
        raise RuntimeError(f"child process failed (exit {done.returncode}):\n{tail}")
    return wall, json.loads(results[-1][len(RESULT_MARKER):])


def read_header(path: Path, mapping) -> list[str]:
    with path.open(encoding=mapping.encoding, newline="") as fh:
        for _ in range(mapping.skip_lines):
            fh.readline()
        return next(csv.reader(fh, delimiter=mapping.delimiter))


def count_sql(paths: list[Path], width: int, mapping, sniff: bool) -> str:
    """Count the rows of files sharing one layout. Unless `sniff`, the columns are named (all
    text, as the loader names them) so DuckDB does not sniff each file first."""
    files = "[" + ", ".join(sql_str(str(p)) for p in paths) + "]"
    options = (f"header=true, delim={sql_str(mapping.delimiter)}, quote='\"', escape='\"', "
               f"encoding={sql_str(mapping.encoding)}, skip={mapping.skip_lines}")
    if sniff:
        options += ", all_varchar=true"
    else:
        columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
        options += f", auto_detect=false, columns={{{columns}}}"
    return f"select count(*) from read_csv({files}, {options})"


def floor_statements(groups: dict[tuple[str, str], list[Path]], mappings,
                     sniff: bool) -> list[dict]:
    """One count per site, extract and header width: all the files sharing a layout at once."""
    statements = []
    for (site, extract), paths in sorted(groups.items()):
        mapping = mappings[site]
        by_width: dict[int, list[Path]] = {}
        for path in paths:
            by_width.setdefault(len(read_header(path, mapping)), []).append(path)
        for width, same in by_width.items():
            statements.append({"extract": extract,
                               "sql": count_sql(same, width, mapping, sniff)})
    return statements


def measure_floor(name: str, groups, mappings, cwd: Path, sniff: bool) -> Measurement:
    """The fastest of FLOOR_RUNS fresh DuckDB-only processes reading the files once."""
    payload = json.dumps(floor_statements(groups, mappings, sniff))
    runs = []
    for i in range(FLOOR_RUNS):
        wall, result = run_child(FLOOR_CHILD, [], cwd, stdin=payload)
        progress(f"  {name} run {i + 1}: {wall:.2f} s")
        runs.append((wall, result))
    wall, result = min(runs, key=lambda r: r[0])
    rows = result["rows_by_extract"]
    return Measurement(name, sum(rows.values()), wall, wall, result["peak_rss_kib"],
                       {"rows_by_extract": rows, "runs_s": [round(w, 3) for w, _ in runs]})


def measure_load(name: str, data_dir: Path, floor_s: float | None) -> Measurement:
    """One fresh process running load_new_files on `data_dir`."""
    progress(f"  {name}: running the loader")
    wall, result = run_child(LOADER_CHILD, [str(data_dir)], data_dir.parent,
                             extra_env={"CAREPATH_SETTLE_SECONDS": "0"})
    rows = result["rows_loaded"] + result["rows_quarantined"]
    progress(f"  {name}: {wall:.2f} s, {result['rows_loaded']:,} loaded, "
             f"{result['rows_quarantined']:,} quarantined, files {result['files_by_status']}, "
             f"{result['already_loaded']} already loaded")
    return Measurement(name, rows, wall, floor_s, result["peak_rss_kib"], result)


# --- one size, end to end -----------------------------------------------------------------------

@dataclass
class SizeResult:
    target_millions: float
    scale: float
    rows_by_extract: dict[str, int]
    files: int
    new_day_rows: int
    measurements: list[Measurement]

    def get(self, kind: str) -> Measurement:
        return next(m for m in self.measurements if m.details.get("kind") == kind)


def benchmark_size(target_millions: float, workdir: Path, keep: bool,
                   sniff: bool) -> SizeResult:
    scale = scale_for(target_millions)
    label = f"{target_millions:g} M"
    progress(f"== {label} session rows: scale {scale:g}")
    landing_cache = generated_landing(workdir, scale, SEED)
    mappings = site_mappings()
    groups = landed_csvs(landing_cache)
    run_dir = Path(tempfile.mkdtemp(prefix=f"run-scale{scale:g}-", dir=workdir))
    try:
        floor = measure_floor(f"floor @ {label}", groups, mappings, run_dir, sniff)
        floor.details["kind"] = "floor"
        data_dir = prepare_data_dir(landing_cache, run_dir)

        full = measure_load(f"load and gate @ {label}", data_dir, floor.wall_s)
        full.details["kind"] = "full"
        if full.rows != floor.rows:
            progress(f"  note: the loader accounted for {full.rows:,} rows, the floor "
                     f"counted {floor.rows:,}")

        nothing = measure_load(f"nothing new @ {label}", data_dir, floor.wall_s)
        nothing.details["kind"] = "nothing_new"

        new_files = add_new_day(data_dir / "landing", mappings)
        day_floor = measure_floor(f"one-new-day floor @ {label}", new_files, mappings, run_dir,
                                  sniff)
        day = measure_load(f"one new day @ {label}", data_dir, day_floor.wall_s)
        day.details["kind"] = "new_day"
        day.details["floor_rss_kib"] = day_floor.peak_rss_kib
    finally:
        if keep:
            progress(f"  kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    return SizeResult(target_millions, scale, floor.details["rows_by_extract"],
                      sum(len(p) for p in groups.values()), day_floor.rows,
                      [floor, full, nothing, day])


# --- the report ---------------------------------------------------------------------------------

def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_DIR, capture_output=True,
                              text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" (working tree has uncommitted changes)" if git("status", "--porcelain",
                                                                      "--untracked-files=no")
                     else "")


def total_memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 ** 2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _where(package: Path) -> str:
    """The package's folder, relative to this checkout when it is the checkout's own (the
    report is committed: it must not name a machine's paths)."""
    try:
        return f"{package.resolve().relative_to(REPO_DIR)}/ in this checkout"
    except ValueError:
        return f"another checkout ({package.name}/ outside this repository)"


def machine_info() -> list[tuple[str, str]]:
    import carepath

    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        ("date", datetime.datetime.now().astimezone().isoformat(timespec="seconds")),
        ("git commit", git_commit()),
        ("carepath imported from", _where(Path(carepath.__file__).parent)),
        ("machine", f"{platform.machine()}, {platform.platform()}"),
        ("nproc", str(nproc)),
        ("total memory", total_memory()),
        ("python", platform.python_version()),
        # From the package metadata: DuckDB itself is only ever imported by the children.
        ("duckdb", importlib.metadata.version("duckdb")),
    ]


def fmt(value, spec: str, missing: str = "-") -> str:
    return missing if value is None else format(value, spec)


def results_table(results: list[SizeResult]) -> list[str]:
    lines = ["| measurement | rows | wall s | floor s | ratio to floor | rows/s | peak RSS MiB |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for size in results:
        for m in size.measurements:
            lines.append(f"| {m.name} | {m.rows:,} | {m.wall_s:.2f} | {fmt(m.floor_s, '.2f')} | "
                         f"{fmt(m.ratio_to_floor, '.2f')} | {fmt(m.rows_per_s, ',.0f')} | "
                         f"{m.peak_rss_mib:,.0f} |")
    return lines


def verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


def target_lines(results: list[SizeResult]) -> list[str]:
    lines = []
    for size in results:
        full, day = size.get("full"), size.get("new_day")
        label = f"{size.target_millions:g} M"
        at_target = size.target_millions >= TARGET_SIZE_MILLIONS
        note = "" if at_target else (f" (the target is stated at {TARGET_SIZE_MILLIONS:g} M; "
                                     "shown for reference)")
        lines.append(f"- {label}: load and gate within {TARGET_RATIO_TO_FLOOR:g}x the floor: "
                     f"{full.ratio_to_floor:.2f}x - "
                     f"{verdict(full.ratio_to_floor <= TARGET_RATIO_TO_FLOOR)}{note}")
        loads = [m for m in size.measurements if m.details.get("kind") != "floor"]
        peak = max(m.peak_rss_mib for m in loads)
        lines.append(f"- {label}: peak RSS of the loader under {TARGET_PEAK_RSS_MIB / 1024:g} GiB: "
                     f"{peak:,.0f} MiB - {verdict(peak < TARGET_PEAK_RSS_MIB)}")
        per_row_full = full.wall_s / full.rows
        per_row_day = day.wall_s / day.rows if day.rows else float("inf")
        ratio = per_row_day / per_row_full
        lines.append(f"- {label}: one new day ({day.rows:,} rows) in proportion to its rows: "
                     f"{per_row_day * 1e3:.3f} ms/row against the full load's "
                     f"{per_row_full * 1e3:.4f} ms/row = {ratio:,.1f}x (target at most "
                     f"{TARGET_NEW_DAY_PER_ROW_RATIO:g}x) - "
                     f"{verdict(ratio <= TARGET_NEW_DAY_PER_ROW_RATIO)}")
    if not any(s.target_millions >= TARGET_SIZE_MILLIONS for s in results):
        lines.append(f"- no size of {TARGET_SIZE_MILLIONS:g} M or more was run: the "
                     "load-to-floor target itself was not measured")
    return lines


def data_set_lines(results: list[SizeResult]) -> list[str]:
    lines = []
    for size in results:
        rows = size.rows_by_extract
        lines.append(
            f"- {size.target_millions:g} M target: generator scale {size.scale:g} ({SITES} sites, "
            f"{MONTHS} months, seed {SEED}), {size.files} files; "
            + ", ".join(f"{e} {rows.get(e, 0):,} rows" for e in EXTRACTS)
            + f"; one new day: {size.new_day_rows:,} session rows in {SITES} files")
    return lines


def detail_lines(results: list[SizeResult]) -> list[str]:
    lines = []
    for size in results:
        for m in size.measurements:
            d = m.details
            if d.get("kind") == "floor":
                lines.append(f"- {m.name}: runs {d['runs_s']} s")
            else:
                files = ", ".join(f"{n} {status}" for status, n in d["files_by_status"].items())
                lines.append(f"- {m.name}: {d['rows_loaded']:,} rows loaded, "
                             f"{d['rows_quarantined']:,} quarantined; files: {files or 'none'}, "
                             f"{d['already_loaded']} already in the ledger; imports "
                             f"{d['import_s']:.2f} s, load_new_files {d['load_s']:.2f} s")
                phases = sorted((d.get("phase_s") or {}).items(), key=lambda kv: -kv[1])
                if phases:
                    lines.append("  - where the time goes: " + "; ".join(
                        f"{phase} {seconds:.1f} s" for phase, seconds in phases))
    return lines


def render_report(results: list[SizeResult], info: list[tuple[str, str]]) -> str:
    lines = ["# Load and gate benchmark", ""]
    lines += [f"- {key}: {value}" for key, value in info]
    lines += ["", "## Data sets", ""] + data_set_lines(results)
    lines += ["", "## Results", ""] + results_table(results)
    lines += ["", "rows: rows in the files read (all extracts; for the loader, rows loaded + "
              "quarantined). wall s: the whole fresh process, interpreter start and imports "
              "included. floor s: DuckDB alone reading the same files once (fastest of "
              f"{FLOOR_RUNS}); for \"nothing new\" the full set's floor, for \"one new day\" the "
              "floor of the new files. peak RSS: the process's own ru_maxrss (or its "
              "children's, if larger)."]
    lines += ["", "## Targets", ""] + target_lines(results)
    lines += ["", "## Details", ""] + detail_lines(results)
    return "\n".join(lines) + "\n"


# --- main ---------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows-millions", type=parse_sizes, default=parse_sizes("1,10"),
                        help="target session rows, in millions, comma-separated (default 1,10)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help="where generated sets are cached and runs happen "
                             f"(default {DEFAULT_WORKDIR.relative_to(REPO_DIR)})")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT,
                        help=f"markdown report (default {DEFAULT_REPORT.relative_to(REPO_DIR)})")
    parser.add_argument("--floor-sniff", action="store_true",
                        help="let DuckDB sniff every file in the floor (all_varchar=true) "
                             "instead of naming the columns; slower, mostly sniffing")
    parser.add_argument("--keep", action="store_true",
                        help="keep each run's data folder (warehouse and landing links)")
    args = parser.parse_args(argv)

    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    info = machine_info() + [("floor reads", FLOOR_SNIFF_NOTE[args.floor_sniff])]
    results = [benchmark_size(size, workdir, args.keep, args.floor_sniff)
               for size in args.rows_millions]
    report = render_report(results, info)
    print(report)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report)
    progress(f"report written to {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
