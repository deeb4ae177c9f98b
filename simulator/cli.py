"""The `qofsim` command line (Typer + Rich): generate, run, up, down, status, serve, load, calc, schema, catalogue, record."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from simulator.reporting.cli import app as report_app

app = typer.Typer(help="qofsim: the QOF 2012/13 GPES -> CQRS flow, simulated end to end on one machine.",
                  no_args_is_help=True, add_completion=False)
console = Console()
app.add_typer(__import__("simulator.conform.cli", fromlist=["app"]).app, name="conform")
app.add_typer(report_app, name="report")

from simulator.credentials_cli import app as credentials_app  # noqa: E402  (its own module: one line here)

app.add_typer(credentials_app, name="credentials")


def fail(message: str, code: int = 2) -> None:
    console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    raise typer.Exit(code)


def _bar() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


@app.command()
def generate(practices: int = typer.Option(12, help="number of practices"),
             seed: int = typer.Option(20130331, help="run seed (each practice derives its own)"),
             out: Path = typer.Option(Path("reports/nation"), help="output folder for the Parquet files"),
             profile: str = typer.Option("england-2012-13", help="profile name (scenarios/profiles/) or path"),
             national: bool = typer.Option(False, "--national", help="England-sized: ~8,000 practices"),
             check: bool = typer.Option(False, "--check", help="print achieved figures beside the profile targets")):
    """Generate a synthetic nation: practices, patients and coded events, as Parquet."""
    from simulator.population.generate import generate_nation
    from simulator.population.profile import ProfileError, load_profile

    try:
        prof = load_profile(profile)
    except ProfileError as exc:
        fail(str(exc))
    n = 8000 if national else practices
    t = time.perf_counter()
    with _bar() as bar:
        task = bar.add_task("generating practices", total=n)
        nation = generate_nation(prof, n_practices=n, seed=seed, out_dir=out,
                                 progress=lambda done, total: bar.update(task, completed=done))
    secs = time.perf_counter() - t
    console.print(f"{len(nation.practices):,} practices, {nation.n_patients:,} patients in {secs:.1f} s "
                  f"({nation.n_patients / max(secs, 1e-9):,.0f} patients/s) -> {out}")
    if check:
        from simulator.population import calibration

        calibration.print_check(console, nation, prof)


@app.command()
def run(scenario: Path = typer.Argument(..., help="scenario YAML, e.g. scenarios/qof-2012-13-infrastructure-test.yaml"),
        reports: Path = typer.Option(Path("reports"), help="folder for reports/<run-id>/"),
        run_id: Optional[str] = typer.Option(None, help="run id (default: timestamp-scenario)"),
        world_dir: Optional[Path] = typer.Option(None, "--world", help="drive the world already up in this folder "
                                                 "(qofsim up) instead of bringing one up")):
    """Run the whole flow for a scenario and reconcile; exits 1 on any discrepancy."""
    from simulator.population.profile import ProfileError
    from simulator.run import run_scenario
    from simulator.run import CollectionTimeout
    from simulator.scenario import ScenarioError, load_scenario
    from simulator.world import WorldError

    try:
        sc = load_scenario(scenario)
    except ScenarioError as exc:
        fail(str(exc))
    if world_dir is not None and not (world_dir / "world.json").exists():
        fail(f"--world: {world_dir} has no world.json (start one with `qofsim up SCENARIO --dir {world_dir}`)")
    console.rule(f"[bold]qofsim run[/] {sc.name}")
    with _bar() as bar:
        task = bar.add_task("generating practices", total=sc.practices, visible=world_dir is None)
        try:
            result = run_scenario(sc, reports, run_id, say=lambda m: bar.console.print(f"  {m}"),
                                  progress=lambda done, total: bar.update(task, completed=done), world_dir=world_dir)
        except (ScenarioError, ProfileError, WorldError, CollectionTimeout) as exc:
            fail(str(exc))
    s = result.summary
    table = Table(title=f"run {s['run_id']}", show_header=False)
    for key in ("practices", "patients", "extracts_sent", "extracts_received", "extracts_stored",
                "payment_instructions", "total_points", "total_payment_gbp"):
        table.add_row(key, f"{s[key]:,}" if isinstance(s[key], int) else str(s[key]))
    table.add_row("checks", f"{sum(s['checks'].values()):,} comparisons")
    for e in s["expected_outcomes"]:
        table.add_row(f"expected: {e['practice_code']}", f"{e['expected']} (GPES reports {e['reported']})")
    table.add_row("discrepancies", str(len(s["discrepancies"])))
    table.add_row("time", f"{s['timings_s']['total']} s")
    console.print(table)
    for d in s["discrepancies"][:20]:
        console.print(f"[red]✗[/] {d['check']} {d['practice_code'] or ''}: {d['detail']}")
    console.print(f"report: {result.run_dir / 'index.html'}")
    if s["discrepancies"]:
        raise typer.Exit(1)


@app.command()
def calc(values: Path = typer.Option(..., "--values", help="values CSV in NHS Digital's long layout"),
         out: Path = typer.Option(..., "--out", help="points CSV to write"),
         list_sizes: Optional[Path] = typer.Option(None, "--list-sizes", help="CSV with ORG_CODE, LIST_SIZE: adds payments"),
         payments_out: Optional[Path] = typer.Option(None, "--payments-out", help="payments CSV (default OUT-payments.csv)")):
    """Points (2 dp) per practice and indicator from long-layout values; payments with --list-sizes."""
    from simulator.cqrs.calcfile import calc as do_calc
    from simulator.cqrs.longformat import LongFormatError
    from simulator.qof.catalogue import default_catalogue

    for p in (values, list_sizes):
        if p is not None and not p.exists():
            fail(f"{p}: no such file")
    try:
        result = do_calc(default_catalogue(), values, out, list_sizes, payments_out)
    except LongFormatError as exc:
        fail(str(exc))
    console.print(f"{len(result.points_rows):,} indicator rows -> {out}")
    for r in result.payment_rows:
        console.print(f"{r['ORG_CODE']}: {r['POINTS']} points, £{r['PAYMENT_GBP']}")


@app.command()
def schema(out: Path = typer.Option(Path("reports/schema"), help="folder for <message>.schema.json")):
    """Write the JSON Schema of every message (generated from simulator/contracts.py)."""
    from simulator.contracts import json_schemas

    out.mkdir(parents=True, exist_ok=True)
    for name, sch in json_schemas().items():
        (out / f"{name}.schema.json").write_text(json.dumps(sch, indent=2) + "\n")
    console.print(f"{len(json_schemas())} schemas -> {out}")


@app.command()
def catalogue(unsourced: bool = typer.Option(False, "--unsourced", help="only rows whose values are placeholders [I]")):
    """List the QOF 2012/13 catalogue (with the trust tag of every row)."""
    from simulator.qof.catalogue import default_catalogue

    cat = default_catalogue()
    rows = cat.unsourced() if unsourced else list(cat.indicators.values())
    table = Table("code", "domain", "area", "kind", "points", "thresholds", "extracted", "rules", "tag")
    for d in rows:
        thr = f"{d.lower}-{d.upper}" if d.lower is not None else ""
        rules = "yes" if d.code in cat.rules.indicators or d.code in {r.indicator for r in cat.rules.registers.values()} else ""
        table.add_row(d.code, d.domain, d.area, d.kind, str(d.points), thr, "yes" if d.extracted else "no", rules, d.tag)
    console.print(table)
    console.print(f"{len(rows)} of {len(cat.indicators)} indicators")


@app.command()
def serve(service: str = typer.Argument(..., help="gpes, cqrs or supplier"),
          config: Optional[Path] = typer.Option(None, "--config", help="the service's YAML configuration file"),
          port: Optional[int] = typer.Option(None, "--port", help="loopback port (else the file's or QOFSIM_<SERVICE>_PORT)"),
          host: Optional[str] = typer.Option(None, "--host", help="loopback address (default 127.0.0.1)"),
          database_url: Optional[str] = typer.Option(None, "--database-url", help="SQLAlchemy URL (else the file's "
                                                     "or QOFSIM_<SERVICE>_DATABASE_URL)"),
          workers: int = typer.Option(1, "--workers", min=1, help="uvicorn worker processes (gpes, cqrs)"),
          no_auth: bool = typer.Option(False, "--no-auth", help="take any call from anyone, as any role (a quick "
                                       "look only; said loudly on start)"),
          log_level: str = typer.Option("warning", "--log-level")):
    """Run one service alone: GPES here and your own supplier elsewhere, or CQRS under --workers N."""
    from simulator.web.settings import ConfigError
    from simulator.world.serve import serve as do_serve

    try:
        do_serve(service, config, {"port": port, "host": host, "database_url": database_url,
                                   "no_auth": True if no_auth else None}, workers, log_level)
    except ConfigError as exc:
        fail(f"{service}: {exc}")


@app.command()
def up(scenario: Path = typer.Argument(..., help="scenario YAML"),
       directory: Path = typer.Option(..., "--dir", help="the world's folder: world.json, configs, databases, logs")):
    """Start the world as separate processes (CQRS, GPES, one per supplier) and write DIR/world.json."""
    from simulator.run import check_faults, generate
    from simulator.scenario import ScenarioError, load_scenario
    from simulator.world import WorldError
    from simulator.world import up as world_up
    from simulator.world.processes import running_services

    try:
        sc = load_scenario(scenario)
    except ScenarioError as exc:
        fail(str(exc))
    alive = running_services(directory)
    if alive:
        fail(f"{directory} already holds a running world ({', '.join(alive)}): `qofsim down {directory}` first")
    with _bar() as bar:
        task = bar.add_task("generating practices", total=sc.practices)
        nation = generate(sc, directory, progress=lambda done, total: bar.update(task, completed=done))
    try:
        check_faults(sc, nation)
        w = world_up(directory, nation, sc)
    except (ScenarioError, WorldError) as exc:
        fail(str(exc))
    table = Table("service", "url", "pid", "database", title=f"world {sc.name}: {len(nation.practices)} practices")
    for s in w.services.values():
        table.add_row(s.name, s.url, str(s.pid), s.database_url or f"(messages in files under {directory / s.name})")
    console.print(table)
    console.print(f"{directory / 'world.json'}; stop it with `qofsim down {directory}`")


@app.command()
def down(directory: Path = typer.Argument(..., help="a world's folder (qofsim up --dir)")):
    """Stop every service of a world (SIGTERM, then SIGKILL after 15 s)."""
    from simulator.world import WorldError
    from simulator.world import down as world_down

    try:
        stopped = world_down(directory)
    except WorldError as exc:
        fail(str(exc))
    console.print(f"stopped {len(stopped)} services" + (f": {', '.join(stopped)}" if stopped else " (none was running)"))


@app.command()
def status(directory: Path = typer.Argument(..., help="a world's folder (qofsim up --dir)"),
           as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table")):
    """Each service of a world: alive, healthy, and its counts. Exits 1 if any does not answer."""
    from simulator.world import WorldError
    from simulator.world import status as world_status

    if not (directory / "world.json").exists():
        fail(f"{directory}: no world.json (start one with `qofsim up SCENARIO --dir {directory}`)")
    try:
        rows = world_status(directory)
    except WorldError as exc:
        fail(str(exc))
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    else:
        table = Table("service", "url", "pid", "alive", "health", "counts")
        for r in rows:
            h = r["health"] or {}
            counts = ", ".join(f"{k} {v}" if not isinstance(v, dict) else ", ".join(f"{k} {kk} {vv}" for kk, vv in v.items())
                               for k, v in h.items() if k not in ("service", "ok") and v != {})
            table.add_row(r["name"], r["url"], str(r["pid"]), "yes" if r["alive"] else "[red]no[/]",
                          "ok" if r["health"] else f"[red]{r['error']}[/]", counts)
        console.print(table)
    if any(r["health"] is None for r in rows):
        raise typer.Exit(1)


@app.command()
def load(profile: str = typer.Argument(..., help="extraction-window, year-end-peak, manual-entry-rush, soak or spike "
                                       "(load/<profile>.py)"),
         run_time: Optional[str] = typer.Option(None, "--run-time", help="e.g. 30s, 5m (default: the profile's)"),
         world_dir: Optional[Path] = typer.Option(None, "--world", help="load the world already up in this folder "
                                                  "(qofsim up) instead of bringing one up"),
         host: Optional[str] = typer.Option(None, "--host", help="GPES's URL, for services started by other means"),
         cqrs_host: Optional[str] = typer.Option(None, "--cqrs-host", help="CQRS's URL (with --host)"),
         issuer_key: Optional[Path] = typer.Option(None, "--issuer-key", envvar="QOFSIM_ISSUER_KEY",
                                                   help="with --host: the private issuer key of the world those "
                                                        "services trust (each user signs its role's credential)"),
         practices: Optional[int] = typer.Option(None, "--practices", min=1, help="practices (default: the profile's; "
                                                 "with --world/--host at most the world's)"),
         users: Optional[int] = typer.Option(None, "--users", min=1, help="peak users (default: the profile's)"),
         workers: int = typer.Option(0, "--workers", min=0, help="Locust workers: a master and N worker processes"),
         remote_workers: int = typer.Option(0, "--remote-workers", min=0, help="more workers the master waits for, "
                                            "started on other machines with --worker --master-host"),
         worker: bool = typer.Option(False, "--worker", help="be one Locust worker of a master at --master-host"),
         master_host: str = typer.Option("127.0.0.1", "--master-host", help="the master's address (it binds to it)"),
         master_port: Optional[int] = typer.Option(None, "--master-port", help="default: a free port (5557 with "
                                                   "--worker or --remote-workers)"),
         p95_ms: Optional[float] = typer.Option(None, "--p95-ms", help="fail above this p95 (default: the profile's)"),
         max_error_ratio: Optional[float] = typer.Option(None, "--max-error-ratio", help="fail above this share of "
                                                         "failed requests (default: the profile's, 0.001)"),
         out: Path = typer.Option(Path("reports/load"), "--out", help="folder for <run-id>/"),
         run_id: Optional[str] = typer.Option(None, "--run-id"),
         seed: int = typer.Option(7, "--seed")):
    """A Locust load profile, headless and bounded, then checked: nothing lost or doubled, one payment per
    declared practice, payments re-derived. Exits 1 on a failed threshold or check, 2 if it cannot start."""
    from simulator.loadtest.runner import LoadOptions, RefuseToStart, run_load, run_worker
    from simulator.loadtest.target import TargetError

    try:
        if worker:
            raise typer.Exit(run_worker(profile, master_host, master_port or 5557))
        code, s = run_load(LoadOptions(profile=profile, run_time=run_time, world=world_dir, host=host,
                                       cqrs_host=cqrs_host, issuer_key=issuer_key, practices=practices, users=users, workers=workers,
                                       remote_workers=remote_workers, master_host=master_host,
                                       master_port=master_port or (5557 if remote_workers else None), p95_ms=p95_ms,
                                       max_error_ratio=max_error_ratio, out=out, run_id=run_id, seed=seed),
                           ["qofsim", "load", *sys.argv[2:]], say=lambda m: console.print(f"  {m}"))
    except RefuseToStart as exc:
        fail(str(exc))
    except TargetError as exc:
        fail(str(exc), 1)
    table = Table(title=f"load {s['run_id']}", show_header=False)
    x = s.get("extracts", {})
    for key, value in (("requests", f"{s['requests']:,} ({s['requests_per_s']}/s), {s['failed_requests']} failed "
                                    f"({s['error_ratio']:.3%})"),
                       ("latency", f"p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, p99 {s['p99_ms']} ms"),
                       ("new extracts", f"{x.get('accepted_in_run', 0):,} ({s['new_extracts_per_s']}/s); end to end "
                                        f"{x.get('end_to_end_per_s')}/s, GPES->CQRS p95 {x.get('gpes_to_cqrs_p95_ms')} ms"),
                       ("conserved", f"{x.get('held_by_cqrs', 0):,} held by CQRS, lost {x.get('lost', 0)}, "
                                     f"doubled {x.get('doubled', 0)}"),
                       ("workflow", json.dumps({k: v for k, v in s.get("workflow", {}).items()})),
                       ("re-derived", f"{s['rederivation']['practices_compared']} practices, "
                                      f"{s['rederivation']['discrepancies']} discrepancies"),
                       ("rss MiB", ", ".join(f"{n} {r['start']}->{r['peak_under_load']} ({r['peak_with_checks']})"
                                             for n, r in s["rss_mib"].items()))):
        if value and value != "{}":
            table.add_row(key, value)
    console.print(table)
    for f in s["failures"]:
        console.print(f"[red]✗[/] {f}", soft_wrap=True)
    console.print(f"summary: {Path(s['files']['html']).parent / 'summary.json'}")
    if s["failures"]:
        raise typer.Exit(1)


@app.command()
def record(population: Path = typer.Argument(..., help="population folder written by `qofsim generate`"),
           practice: str = typer.Option(..., "--practice", help="practice code, e.g. A81001"),
           nhs_number: list[str] = typer.Option([], "--nhs-number", help="a patient by NHS number (repeatable)"),
           index: list[int] = typer.Option([], "--index", help="a patient by row in the practice, from 0 (repeatable)"),
           first: int = typer.Option(0, "--first", min=0, help="the practice's first N patients"),
           random_n: int = typer.Option(0, "--random", min=0, help="N patients at random (the same N every time)"),
           fmt: str = typer.Option("text", "--format", help="text, json or html"),
           out: Optional[Path] = typer.Option(None, "--out", help="write to this file instead of the terminal")):
    """Show patients' records for a person to read: demographics, coded events with their terms, and a
    made-up name and address (in this export only). With no patient chosen, the practice's first."""
    from simulator.population.export import FORMATS, ExportError, export_records, print_text, render

    if fmt not in FORMATS:
        fail(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    try:
        export = export_records(population, practice, nhs_numbers=nhs_number, indexes=index, first=first,
                                random_n=random_n)
    except ExportError as exc:
        fail(str(exc))
    if fmt == "text" and out is None:
        print_text(export, console)  # in colour on a terminal
        return
    text = render(export, fmt)
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text)
    except OSError as exc:
        fail(f"--out {out}: {exc.strerror or exc}")
    console.print(f"{len(export.records)} records ({fmt}) -> {out}")


@app.command()
def bdd(paths: Optional[list[Path]] = typer.Argument(None, help="feature files or folders (default: every .feature "
                                                     "under features/)"),
        tags: Optional[str] = typer.Option(None, "--tags", help="tag expression, e.g. '@gpes and not @slow'"),
        world_dir: Optional[Path] = typer.Option(None, "--world", help="drive the world already up in this folder "
                                                 "(qofsim up) instead of bringing worlds up"),
        out: Path = typer.Option(Path("reports/bdd"), "--out", help="folder for cucumber.json, junit.xml, report.html")):
    """Run the Gherkin features over the running services: cucumber JSON, JUnit XML and an HTML report."""
    from simulator.bdd.runner import BddError, run as run_features

    try:
        code = run_features(paths, tags, world_dir, out, say=console.print)
    except BddError as exc:
        fail(str(exc))
    raise typer.Exit(code)


@app.command()
def steps(fmt: str = typer.Option("text", "--format", help="text or markdown")):
    """The step glossary: every step of the Gherkin library, its parameters and one example, by stage."""
    from simulator.bdd.library import glossary

    if fmt not in ("text", "markdown"):
        fail(f"--format: {fmt!r} is not one of text, markdown")
    sys.stdout.write(glossary(fmt))


if __name__ == "__main__":
    app()
