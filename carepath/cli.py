"""`carepath` command line: generate demo extracts, run the pipeline without a scheduler, check a
site's files before they are delivered."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from carepath.faults import EXIT_STORAGE, storage_fault


def _generate(args: argparse.Namespace) -> int:
    from carepath.generate import generate

    truth = generate(Path(args.out), sites=args.sites, months=args.months, scale=args.scale,
                     seed=args.seed, end_month=args.end_month)
    rows = {e: sum(c[f"{e}_rows"] for c in truth["counts"].values())
            for e in ("referrals", "sessions", "outcomes")}
    print(f"wrote {len(truth['sites'])} sites x {len(truth['months'])} months to {args.out}: "
          + ", ".join(f"{n} {e} rows" for e, n in rows.items()))
    planted = ", ".join(b["kind"] + "@" + b["site_code"] for b in truth["bottlenecks"])
    print(f"planted bottlenecks: {planted or 'none'}")
    return 0


# `carepath run` exit statuses, so that a scheduler or a shell script can tell them apart.
EXIT_OK = 0
EXIT_FAILED = 1  # the build failed: nothing was published
EXIT_FILES_REJECTED = 3  # published, but some files were rejected (see the summary)
EXIT_LOCKED = 75  # another run holds the data folder (EX_TEMPFAIL: try again later)
# 74: a storage fault (a full disk, a read-only data folder), said in a sentence
# (carepath.faults.EXIT_STORAGE).


def _run(args: argparse.Namespace) -> int:
    from carepath.pipeline import run_pipeline
    from carepath.run_progress import RunProgress
    from carepath.settings import load_settings

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    progress = RunProgress()
    try:
        summary = run_pipeline(load_settings(args.data_dir), force_build=args.force_build,
                               wait=args.wait, progress=progress)
    finally:
        progress.close()
    print(summary.render())
    if args.json:
        Path(args.json).write_text(json.dumps(summary.as_dict(), indent=2, default=str) + "\n")
    if not summary.ok:
        return EXIT_FAILED
    return EXIT_FILES_REJECTED if summary.load.files_rejected else EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from carepath.check import check_files

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    report = check_files(args.site, [Path(f) for f in args.files], extract=args.extract)
    print(report.render())
    return 0 if report.clean else 1


def _rotate_key(args: argparse.Namespace) -> int:
    from carepath.ingest.pseudonym import ENV_VAR
    from carepath.key_rotation import rotate_key
    from carepath.settings import load_settings

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    rotation = rotate_key(load_settings(args.data_dir), Path(args.new_key_file))
    print(f"re-keyed {rotation.pseudonyms_rekeyed:,} stored pseudonyms: key fingerprint "
          f"{rotation.old_fingerprint} -> {rotation.new_fingerprint}")
    if rotation.key_file is not None:
        print(f"{rotation.key_file} now holds the key chain (old keys, then the new one)")
    else:
        print(f"${ENV_VAR} still holds the old key: append the new key on a line of its own "
              "before the next load, or the load stops with a key mismatch")
    if not rotation.published:
        print("carepath: the rebuild after the rotation failed; run `carepath run --force-build`",
              file=sys.stderr)
        return EXIT_FAILED
    print("every model rebuilt and published with the new pseudonyms")
    return EXIT_OK


def _qi_spc(args: argparse.Namespace) -> int:
    from carepath.qi.command import spc

    result = spc(Path(args.input), args.date, args.chart, Path(args.output), value=args.value,
                 numerator=args.numerator, denominator=args.denominator,
                 phase_dates=args.phase_dates, direction=args.direction, target=args.target)
    signals = int((result.variation != "common_cause").sum())
    print(f"{len(result)} points, {result.phase.nunique()} phase(s), {signals} special-cause "
          f"point(s); variation {result.variation_icon.iloc[-1]}, assurance "
          f"{result.assurance_icon.iloc[-1] or 'none (no target)'}: {args.output}")
    return 0


def _qi_funnel(args: argparse.Namespace) -> int:
    from carepath.qi.command import funnel_plot

    result = funnel_plot(Path(args.input), args.group, args.numerator, args.denominator,
                         args.type, Path(args.output))
    print(f"{len(result)} groups, {int(result.is_outlier.sum())} outlier(s): {args.output}")
    return 0


def _new_password(from_stdin: bool) -> str:
    """The new password: all of stdin but its final line break, or typed twice at a terminal
    (never an argument, which other users could read in the process list)."""
    if from_stdin:
        return sys.stdin.read().removesuffix("\n").removesuffix("\r")
    if not sys.stdin.isatty():
        raise ValueError("give the password on stdin with --password-stdin, or run at a terminal")
    import getpass

    password = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != password:
        raise ValueError("the two passwords differ")
    return password


def _users_add(args: argparse.Namespace) -> int:
    from carepath.access.users import add_user, users_file_from_env

    path = users_file_from_env()
    site = None if args.all_sites else args.site
    new = add_user(path, args.name, site, _new_password(args.password_stdin), args.audience)
    scope = "every site" if site is None else f"site {site}"
    print(f"{'added' if new else 'updated'} {args.name} ({scope}, {args.audience}) in {path}")
    return 0


def _users_remove(args: argparse.Namespace) -> int:
    from carepath.access.users import remove_user, users_file_from_env

    path = users_file_from_env()
    remove_user(path, args.name)
    print(f"removed {args.name} from {path}: their next click on the dashboard signs them out")
    return 0


def _users_list(args: argparse.Namespace) -> int:
    from carepath.access.users import read_users, users_file_from_env

    path = users_file_from_env()
    users = read_users(path)
    for user in sorted(users.values(), key=lambda u: u.name):
        print(f"{user.name}\t{user.scope}\t{user.audience}")
    if not users:
        print(f"no users in {path}", file=sys.stderr)
    return 0


def _export_parquet(args: argparse.Namespace) -> int:
    from carepath.publish.parquet_export import export_parquet
    from carepath.run_lock import run_lock
    from carepath.settings import load_settings

    settings = load_settings(args.data_dir)
    # Under the run lock: the copy is of the tables between two loads, never during one.
    with run_lock(settings.lock_path, wait=True):
        written = export_parquet(settings, Path(args.to))
    for table, rows in written.items():
        print(f"{table}: {rows:,} rows")
    print(f"written to {args.to}: build the marts on Spark with CAREPATH_PARQUET_DIR={args.to} "
          "dbt build --target spark (docs/guides/scaling-out.md)")
    return 0


def _status(args: argparse.Namespace) -> int:
    from carepath.settings import load_settings
    from carepath.status import published_status

    text, ok = published_status(load_settings(args.data_dir))
    print(text)
    return 0 if ok else 1


def _pack(args: argparse.Namespace) -> int:
    from carepath.pack.write import write_packs
    from carepath.settings import load_settings

    written = write_packs(load_settings(args.data_dir), args.month, Path(args.out),
                          sites=args.site, pdf=not args.no_pdf)
    for path in written:
        print(path)
    return 0


def _dbt(args: argparse.Namespace) -> int:
    from carepath.run_lock import run_lock
    from carepath.settings import load_settings
    from carepath.transform.dbt_build import run_dbt

    settings = load_settings(args.data_dir)
    dbt_args = args.dbt_args[1:] if args.dbt_args[:1] == ["--"] else args.dbt_args
    if not dbt_args:
        raise ValueError("name the dbt command, e.g. carepath dbt build --select my_model")
    # Under the run lock, as a run's own build: never beside a load or a publication. What it
    # builds is not published; the next `carepath run` publishes it.
    with run_lock(settings.lock_path, wait=True):
        report = run_dbt(settings, *dbt_args, echo=True)
    for failure in report.failed_tests:
        print(failure.render(), file=sys.stderr)
    return 0 if report.success else EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="carepath", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write synthetic site extracts and ground_truth.json")
    gen.add_argument("--out", required=True, help="landing folder to write into")
    gen.add_argument("--sites", type=int, default=4, help="how many demo sites (1-8)")
    gen.add_argument("--months", type=int, default=12, help="how many months of deliveries")
    gen.add_argument("--scale", type=float, default=1.0, help="volume multiplier")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--end-month", default="2026-10", help="last delivery month, YYYY-MM")
    gen.set_defaults(func=_generate)

    run = sub.add_parser(
        "run", help="load new extracts, build the marts, publish them",
        epilog="exit status: 0 published; 1 the build failed (nothing published); 3 published, "
               "but some files were rejected; 74 a storage fault (a full disk, a read-only "
               "data folder), said in a sentence; 75 another run holds the data folder")
    run.add_argument("--data-dir", help="data folder (default: $CAREPATH_DATA_DIR or ./data)")
    run.add_argument("--force-build", action="store_true",
                     help="rebuild every model from the raw history (dbt --full-refresh), "
                          "even when no new file was loaded")
    run.add_argument("--json", help="also write the run summary to this file")
    run.add_argument("--wait", action="store_true",
                     help="wait for another run on the same data folder instead of exiting")
    run.set_defaults(func=_run)

    check = sub.add_parser(
        "check", help="what a run would do with a site's files, writing nothing: rows that "
                      "would load, be quarantined (by rule, with lines) or files rejected",
        epilog="exit status: 0 every row would load; 1 some rows would be quarantined or files "
               "rejected; 2 a usage problem (no such file, unknown extract)")
    check.add_argument("--site", required=True, help="the site code (its mapping is used)")
    check.add_argument("--extract", help="referrals, sessions or outcomes (default: from each "
                                         "file's folder or name)")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(func=_check)

    rotate = sub.add_parser(
        "rotate-key", help="re-key every stored pseudonym under a new key, in one transaction, "
                           "then rebuild and publish",
        epilog="the new key is read from a file (never the command line): at least 32 bytes, "
               "e.g. python -c 'import secrets; print(secrets.token_hex(32))' > new.key")
    rotate.add_argument("--new-key-file", required=True, help="a file holding the new key")
    rotate.add_argument("--data-dir", help="data folder (default: $CAREPATH_DATA_DIR or ./data)")
    rotate.set_defaults(func=_rotate_key)

    qi = sub.add_parser("qi", help="SPC charts and funnel plots on your own CSV")
    qi_sub = qi.add_subparsers(dest="qi_command", required=True)
    spc = qi_sub.add_parser("spc", help="an SPC chart: one row per point with limits, rule "
                                        "flags, variation and the latest icons")
    spc.add_argument("--input", required=True)
    spc.add_argument("--date", required=True, help="the column that orders the points")
    spc.add_argument("--value", help="the measured value (xmr)")
    spc.add_argument("--numerator", help="events (p, pp, u, up, c)")
    spc.add_argument("--denominator", help="opportunities or exposure (p, pp, u, up)")
    spc.add_argument("--chart", required=True, choices=["xmr", "p", "pp", "u", "up", "c"])
    spc.add_argument("--phase-dates", nargs="*", default=[],
                     help="dates of documented changes: each starts a phase with new limits")
    spc.add_argument("--direction", choices=["increase", "decrease"], default="increase",
                     help="which way is improvement")
    spc.add_argument("--target", type=float, help="for the assurance icon")
    spc.add_argument("--output", required=True)
    spc.set_defaults(func=_qi_spc)
    fun = qi_sub.add_parser("funnel", help="a funnel plot: one row per group with limits, "
                                           "significance and outlier flag")
    fun.add_argument("--input", required=True)
    fun.add_argument("--group", required=True)
    fun.add_argument("--numerator", required=True, help="events (observed, for a ratio)")
    fun.add_argument("--denominator", required=True, help="opportunities (expected, for a "
                                                          "ratio)")
    fun.add_argument("--type", required=True, choices=["proportion", "ratio"])
    fun.add_argument("--output", required=True)
    fun.set_defaults(func=_qi_funnel)

    users = sub.add_parser(
        "users", help="who may sign in to the dashboard (the file named by "
                      "$CAREPATH_USERS_FILE)")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser(
        "add", help="add a user, or change their site or password",
        epilog="e.g. printf '%%s' \"$PASSWORD\" | carepath users add ana --site BRA "
               "--password-stdin")
    add.add_argument("name")
    scope = add.add_mutually_exclusive_group(required=True)
    scope.add_argument("--site", metavar="CODE", help="the one site this user may see")
    scope.add_argument("--all-sites", action="store_true",
                       help="this user may see every site and the network (QI leads)")
    add.add_argument("--audience", choices=("operational", "published"),
                     default="operational",
                     help="operational (default): staff who run the service, exact figures and "
                          "their referral lists; published: a board or commissioners, figures "
                          "under $CAREPATH_DISCLOSURE_POLICY and no referral lists")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from stdin (at least 12 characters); without "
                          "it, the password is asked for at the terminal")
    add.set_defaults(func=_users_add)
    remove = users_sub.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    remove.set_defaults(func=_users_remove)
    listing = users_sub.add_parser("list", help="each user and the sites they may see")
    listing.set_defaults(func=_users_list)

    export = sub.add_parser("export-parquet", help="copy the raw extracts, the ledger and the "
                                                   "quarantine to Parquet (for Spark)")
    export.add_argument("--to", required=True, help="folder to write <schema>/<table>.parquet in")
    export.add_argument("--data-dir", help="data folder (default: $CAREPATH_DATA_DIR or ./data)")
    export.set_defaults(func=_export_parquet)

    status = sub.add_parser("status", help="what the dashboard is serving, and whether it is "
                                           "stale: ledger, last build and mart counts")
    status.add_argument("--data-dir", help="data folder (default: $CAREPATH_DATA_DIR or ./data)")
    status.set_defaults(func=_status)

    pack = sub.add_parser(
        "pack", help="write the month's QI pack (HTML and PDF) for the network and each site",
        epilog="Figures pass the disclosure policy ($CAREPATH_DISCLOSURE_POLICY): a pack is "
               "published. exit status: 0 written; 2 no such month or site")
    pack.add_argument("--month", required=True, help="the month, YYYY-MM")
    pack.add_argument("--site", action="append",
                      help="a site's pack only (repeat for several; default: the network's "
                           "and every site's)")
    pack.add_argument("--out", required=True, help="folder to write the packs in")
    pack.add_argument("--no-pdf", action="store_true", help="HTML only (no chromium needed)")
    pack.add_argument("--data-dir", help="data folder (default: $CAREPATH_DATA_DIR or ./data)")
    pack.set_defaults(func=_pack)

    dbt = sub.add_parser(
        "dbt", help="run dbt on the current warehouse, with its target and every variable set",
        epilog="e.g. carepath dbt build --select fct_my_metric; carepath dbt docs generate. "
               "exit status: 0 dbt succeeded; 1 it failed")
    dbt.add_argument("--data-dir", help="data folder (default: $CAREPATH_DATA_DIR or ./data)")
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, help="dbt's own command and options")
    dbt.set_defaults(func=_dbt)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"carepath: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        code = _refusal_status(exc)
        if code is None:
            fault = storage_fault(exc, getattr(args, "data_dir", None))
            if fault is None:
                raise
            print(f"carepath: {fault}", file=sys.stderr)
            return EXIT_STORAGE
        print(f"carepath: {exc}", file=sys.stderr)
        return code


def _refusal_status(exc: Exception) -> int | None:
    """The exit status of a refusal every command reports the same way (another run holds the
    data folder; the key cannot pseudonymise safely), or None for a real error. Imported here,
    on the error path only: the key module brings DuckDB and pyarrow."""
    from carepath.ingest.pseudonym import KeyProblem
    from carepath.run_lock import RunLocked

    if isinstance(exc, RunLocked):
        return EXIT_LOCKED
    if isinstance(exc, KeyProblem):
        return EXIT_FAILED
    return None


def entry() -> None:
    """The `carepath` console command: `main`, then an immediate exit once output is flushed.

    A run imports some two thousand modules (Great Expectations brings pandas, SQLAlchemy and
    more). Tearing them down at interpreter exit takes time and, in an order Python does not
    promise, leaves DuckDB's type constants to outlive its bindings, which then print a
    "nanobind: leaked ..." report over the run's own output. Nothing is left to do at that
    point: files and connections are closed, so the process ends here."""
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
