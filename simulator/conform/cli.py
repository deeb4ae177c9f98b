"""``qofsim conform``: export the conformance population, run qofsim's own supplier over it, check a supplier."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

app = typer.Typer(help="The supplier conformance kit: a population built from the rules, the answer key, and a checker.",
                  no_args_is_help=True)
console = Console()


def _refuse(message: str) -> None:
    console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    raise typer.Exit(2)


def _population(folder: Path) -> None:
    if not (folder / "manifest.json").is_file():
        _refuse(f"--population: {folder} holds no manifest.json (make one with `qofsim conform export --out DIR`)")


def _indicators(value: Optional[str]) -> list[str] | None:
    return [x.strip() for x in value.split(",") if x.strip()] if value else None


@app.command()
def export(out: Path = typer.Option(..., "--out", help="folder to write the population, spec, schema and rules into"),
           indicators: Optional[str] = typer.Option(None, help="only these indicators (comma-separated), "
                                                                "with the registers they read; default: all extracted")):
    """Write the conformance population (neutral and each supplier's layout), spec, schema, rules and answer key."""
    from simulator.conform.export import export as do_export
    from simulator.qof.catalogue import default_catalogue

    cat = default_catalogue()
    wanted = _indicators(indicators)
    unknown = [i for i in wanted or [] if i not in cat.extracted_ids()]
    if unknown:
        _refuse(f"--indicators: {', '.join(unknown)}: not an extracted indicator with rules")
    m = do_export(cat, out, wanted)
    console.print(f"{m['practices']} practices, {m['patients']:,} patients, {m['events']:,} events; "
                  f"{m['rule_steps_reached']} of {m['rule_steps']} rule steps reached -> {out}")


@app.command()
def extract(population: Path = typer.Option(..., "--population", help="a folder from `qofsim conform export`"),
            out: Path = typer.Option(..., "--out", help="folder for one extract per practice (<practice>.json)")):
    """Run qofsim's own supplier over the population, each supplier reading its own tables."""
    from simulator.conform.extract import run
    from simulator.qof.catalogue import default_catalogue

    _population(population)
    paths = run(default_catalogue(), population, out)
    console.print(f"{len(paths)} extracts -> {out}")


@app.command()
def check(population: Path = typer.Option(..., "--population", help="a folder from `qofsim conform export`"),
          extracts: Optional[Path] = typer.Option(None, "--extracts", help="folder of extracts, one per practice "
                                                                           "(and optionally patient_flags.csv)"),
          url: Optional[str] = typer.Option(None, "--url", help="a live supplier service answering GPES's extraction request"),
          supplier: Optional[str] = typer.Option(None, "--supplier", help="with --url: which supplier it is "
                                                                          "(default: its /health says)"),
          timeout: float = typer.Option(120.0, "--timeout", help="with --url: seconds to wait for every extract"),
          token: Optional[str] = typer.Option(None, "--token", envvar="QOFSIM_TOKEN",
                                              help="with --url: a GPES bearer token for the supplier "
                                                   "(`qofsim credentials issue gpes --world DIR`)"),
          report: Path = typer.Option(Path("reports/conform"), "--report", help="folder for report.html, junit.xml, "
                                                                                 "verdicts.json")):
    """Check extracts (files or a live supplier): schema, completeness, GPES's invariants, counts against the
    reference engine. Exit 0 only when everything passes."""
    from simulator.conform import check as kit
    from simulator.conform.report import write_all
    from simulator.qof.catalogue import default_catalogue

    if (extracts is None) == (url is None):
        _refuse("give --extracts DIR or --url URL (one of them)")
    _population(population)
    cat = default_catalogue()
    if extracts is not None:
        if not extracts.is_dir():
            _refuse(f"--extracts: no such folder {extracts}")
        result = kit.check_folder(cat, population, extracts)
    else:
        import requests

        from simulator.conform.live import collect

        try:
            name, bodies = collect(population, url, supplier, timeout, token)
        except (requests.RequestException, ValueError, RuntimeError) as exc:
            _refuse(f"--url {url}: {exc}")
        result = kit.check(cat, population, bodies, url, suppliers=[name])
    paths = write_all(result, report)
    for v in result.failures()[:20]:
        console.print(f"[red]{v.status}[/red] {v.practice} {v.subject} {v.check}: {v.message[:400]}")
    if len(result.failures()) > 20:
        console.print(f"... and {len(result.failures()) - 20} more (see {paths['html']})")
    t = result.tally()
    console.print(f"{'[green]PASS[/green]' if result.ok else '[red]FAIL[/red]'}: pass {t['pass']}, fail {t['fail']}, "
                  f"error {t['error']}, skip {t['skip']} in {result.seconds:.1f} s -> {paths['html']}, {paths['junit']}, "
                  f"{paths['json']}")
    raise typer.Exit(0 if result.ok else 1)
