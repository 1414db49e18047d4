"""How long each dashboard page takes to render: a measurement, not a test.

The script generates a network (by default the demo's: the generator's defaults for `make
demo`; `--sites 8 --months 24 --scale 10` for a bigger one), cached under the work folder, runs
the pipeline once, then renders every page with Streamlit's AppTest (the app's own script run:
every query, chart spec and table, without a browser's paint) for each audience: staff (exact
figures) and a published audience (figures under the default disclosure policy, decided once
per publication for every published mart together). It prints a markdown table: the first
render with nothing cached (every query reads the published copy; for a published audience the
first page also decides the disclosure) and the best of the following renders (cached), against
the target of 2 s a page; and the time of the joint disclosure alone, best of 3.

    .venv/bin/python benchmarks/dashboard_render.py            # make bench-dashboard
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[1]
DEFAULT_WORKDIR = REPO_DIR / "data" / "bench" / "dashboard"
DEFAULT_REPORT = REPO_DIR / "benchmarks" / "dashboard_render_report.md"
APP = REPO_DIR / "dashboard" / "app.py"
PAGES = ["views/overview.py", "views/bottlenecks.py", "views/referral_pathway.py",
         "views/waiting_list.py", "views/adherence.py", "views/outcomes.py",
         "views/data_quality.py"]
TARGET_S = 2.0
REPEATS = 3
BENCH_PASSWORD = "benchmark-only password"
AUDIENCES = {"staff": ("benchmark", "operational"), "published": ("benchmark-board", "published")}


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def prepare(workdir: Path, seed: int, network: dict) -> Path:
    """A data folder holding the demo network's published marts: generated once; the pipeline
    runs every time, which rebuilds only when the dbt models changed since the last run (a
    copy published by older models would lack marts the pages read)."""
    from carepath.generate import generate
    from carepath.pipeline import run_pipeline
    from carepath.settings import load_settings

    name = "".join(f"-{key}{value}" for key, value in network.items())
    data_dir = workdir / f"seed{seed}{name}"
    settings = load_settings(data_dir)
    if not (settings.landing_dir / "ground_truth.json").exists():
        progress(f"generating the network ({network or 'the demo'})")
        generate(settings.landing_dir, seed=seed, **network)
    progress(f"running the pipeline on {data_dir} (quick when nothing changed)")
    os.environ.setdefault("CAREPATH_SETTLE_SECONDS", "0")
    # A throwaway key for throwaway data: the benchmark never sees a real extract.
    os.environ.setdefault("CAREPATH_PSEUDONYM_KEY", "dashboard-render-benchmark-" + "0" * 32)
    summary = run_pipeline(settings)
    if not summary.ok:
        raise SystemExit(summary.render())
    return data_dir


def users_file(workdir: Path) -> Path:
    """The benchmark's own users file, with an all-sites user of each audience."""
    from carepath.access.users import add_user, read_users

    path = workdir / "users.json"
    for name, audience in AUDIENCES.values():
        if name not in read_users(path):
            add_user(path, name, None, BENCH_PASSWORD, audience=audience)
    return path


def sign_in(at, user: str) -> None:
    """Sign in as one of the benchmark's all-sites users (a users file of its own)."""
    at.text_input(key="sign_in_name").input(user)
    at.text_input(key="sign_in_password").input(BENCH_PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click().run()
    if at.exception or any("Sign in" == b.label for b in at.button):
        raise SystemExit(f"the benchmark user could not sign in: {at.exception or at.error}")


def render_times(data_dir: Path, page: str, user: str) -> tuple[float, float]:
    """Seconds for the page's first render with nothing cached, and its best later render."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["CAREPATH_DATA_DIR"] = str(data_dir)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()  # the sign-in form: the page is opened once signed in
    sign_in(at, user)
    if page != PAGES[0]:
        at.switch_page(page)  # AppTest opens the default page first
    st.cache_data.clear()  # the queries' cache lives in the process, across sessions
    started = time.perf_counter()
    at.run()
    first = time.perf_counter() - started
    if at.exception:
        raise SystemExit(f"{page} raised: {at.exception}")
    later = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        at.run()
        later.append(time.perf_counter() - started)
    return first, min(later)


def disclosure_time(data_dir: Path) -> tuple[float, int]:
    """Seconds to decide the disclosure of every published mart together under the default
    policy (best of REPEATS), and how many cells that decides."""
    from carepath.publish.disclosure_declarations import load_declarations
    from carepath.publish.disclosure_policies import policy_named
    from carepath.publish.disclosure_views import disclosed_marts
    from carepath.publish.published_copy import published_copy
    from carepath.settings import load_settings

    settings = load_settings(data_dir)
    declarations = load_declarations(settings.dbt_project_dir / "models" / "marts")
    policy = policy_named(settings.disclosure_policy, settings.disclosure_min_count)
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        marts = disclosed_marts(published_copy(settings), declarations, policy)
        times.append(time.perf_counter() - started)
    cells = sum(frame.size for frame, _ in marts.values())
    return min(times), cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sites", type=int, help="the generator's sites (default: the demo's)")
    parser.add_argument("--months", type=int, help="the generator's months")
    parser.add_argument("--scale", type=float, help="the generator's volume scale")
    args = parser.parse_args(argv)
    network = {key: getattr(args, key) for key in ("sites", "months", "scale")
               if getattr(args, key) is not None}
    data_dir = prepare(args.workdir.resolve(), args.seed, network)
    os.environ["CAREPATH_USERS_FILE"] = str(users_file(args.workdir.resolve()))
    # A server imports Streamlit, Altair and pandas once, at start: so does this process,
    # untimed, before the first page is measured.
    render_times(data_dir, PAGES[0], AUDIENCES["staff"][0])
    rows = []
    for audience, (user, _) in AUDIENCES.items():
        for page in PAGES:
            first, cached = render_times(data_dir, page, user)
            progress(f"{audience} {page}: first {first:.2f} s, cached {cached:.2f} s")
            rows.append((audience, page, first, cached))
    deciding, cells = disclosure_time(data_dir)
    what = ", ".join(f"{key} {value:g}" for key, value in network.items()) or "the demo network"
    lines = ["# Dashboard render times", "",
             f"- date: {time.strftime('%Y-%m-%dT%H:%M:%S%z')}",
             f"- data: {what} (seed {args.seed}), published once; signed in as an all-sites "
             "user of each audience (every site's rows, the most a page draws)",
             f"- deciding the disclosure of every published mart together (default policy): "
             f"{deciding:.2f} s (best of {REPEATS}), {cells:,} cells, once per publication", "",
             "| audience | page | first render s | cached render s | under 2 s |",
             "|---|---|---:|---:|---|"]
    lines += [f"| {audience} | {page.removeprefix('views/').removesuffix('.py')} | "
              f"{first:.2f} | {cached:.2f} | "
              f"{'met' if max(first, cached) < TARGET_S else '**missed**'} |"
              for audience, page, first, cached in rows]
    lines += ["", "Rendered by Streamlit's AppTest in one process: the page's script with "
              "every query, chart specification and table, not the browser's drawing. First "
              "render: nothing cached (after one untimed render that imports the libraries, "
              f"as a server does at start); cached: the best of {REPEATS} reruns. A published "
              "audience's first render of the first page includes deciding the disclosure, "
              "which every later page and user of the publication reuses."]
    report = "\n".join(lines) + "\n"
    print(report)
    args.report.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
