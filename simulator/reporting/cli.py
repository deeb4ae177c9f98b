"""`qofsim report …`: render a run's pages again, rewrite the index of every report, serve reports/
on loopback (the pages work from a file too; serving is for a browser that blocks file:// links)."""

from __future__ import annotations

import functools
import http.server
import json
import sys
import threading
from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(help="Reports: build a run's pages, index every report, serve reports/ on 127.0.0.1.",
                  no_args_is_help=True)
console = Console()


@app.command()
def build(run_dir: Path = typer.Argument(..., help="a run folder: reports/<run-id>/"),
          practice_pages: bool = typer.Option(True, help="write a page per practice and commissioner")):
    """Render <run>/index.html and its practice and commissioner pages again from summary.json and
    report/practices.ndjson, then the reports index beside it."""
    from simulator.reporting.data import DATA
    from simulator.reporting.index import write_index
    from simulator.reporting.report import build_site

    if not (run_dir / "summary.json").is_file() or not (run_dir / DATA).is_file():
        console.print(f"[red]{run_dir}: not a run folder (needs summary.json and {DATA})[/red]")
        raise typer.Exit(2)
    summary = json.loads((run_dir / "summary.json").read_text())
    out = build_site(run_dir, summary, pages=practice_pages)
    console.print(f"report: {out}")
    console.print(f"index: {write_index(run_dir.parent)}")


@app.command()
def index(reports: Path = typer.Argument(Path("reports"), help="the reports folder")):
    """Write reports/index.html: every folder with a summary.json (kind, verdict, started, title), newest first."""
    from simulator.reporting.index import write_index

    console.print(f"index: {write_index(reports)}")


def server(reports: Path, port: int = 0) -> http.server.ThreadingHTTPServer:
    """An HTTP server of ``reports`` on 127.0.0.1 (port 0: a free one), not yet serving."""
    handler = functools.partial(_Quiet, directory=str(Path(reports).resolve()))
    return _Server(("127.0.0.1", port), handler)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A browser that closes a connection mid-file (it often does, after a page has what it needs) is no error."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass


@app.command()
def serve(reports: Path = typer.Argument(Path("reports"), help="the reports folder"),
          port: int = typer.Option(8765, help="port on 127.0.0.1 (0: any free one)")):
    """Serve reports/ on 127.0.0.1 until Ctrl-C (the index is rewritten first)."""
    from simulator.reporting.index import write_index

    write_index(reports)
    srv = server(reports, port)
    console.print(f"serving {reports.resolve()} at http://127.0.0.1:{srv.server_address[1]}/index.html (Ctrl-C stops)")
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        t.join()
    except KeyboardInterrupt:
        pass
    finally:
        srv.shutdown()
        srv.server_close()
