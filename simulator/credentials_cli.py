"""``qofsim credentials issue ROLE [--practice P | --supplier S | --ccg C] --world DIR``: a bearer token
for one caller of a running world, signed with the world's issuer key (world.json names it).

Prints the token alone on stdout, so ``TOKEN=$(qofsim credentials issue finance --world DIR)`` and
``curl -H "Authorization: Bearer $TOKEN" ...`` work; a scope the world does not know is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from simulator.contracts.credentials import DEFAULT_TTL_S, ROLES, CredentialError

app = typer.Typer(help="Bearer tokens for a world's callers (one per role and owner).", no_args_is_help=True)


@app.command()
def issue(role: str = typer.Argument(..., help=f"one of {', '.join(ROLES)}"),
          world: Path = typer.Option(..., "--world", help="the world's folder (qofsim up --dir / reports/<run>/world)"),
          practice: Optional[str] = typer.Option(None, "--practice", help="a practice role's ODS code"),
          supplier: Optional[str] = typer.Option(None, "--supplier", help="a supplier role's name (EMIS, TPP, ...)"),
          ccg: Optional[str] = typer.Option(None, "--ccg", help="a commissioner role's CCG / area team code"),
          ttl: int = typer.Option(DEFAULT_TTL_S, "--ttl", min=1, help="seconds the token is good for")):
    """Print a token for ROLE (practice, supplier and commissioner name whose they are)."""
    from simulator.contracts.credentials import Issuer
    from simulator.world import World, WorldError

    def fail(message: str) -> None:
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(2)

    try:
        w = World.open(world)
    except WorldError as exc:
        fail(str(exc))
    if w.file.issuer is None:
        fail(f"{world}: its world.json names no issuer key (its services run --no-auth)")
    known = {"practice": {p.practice_code for p in w.file.practices}, "ccg": {p.ccg_code for p in w.file.practices},
             "supplier": {p.supplier for p in w.file.practices}}
    for name, value in (("practice", practice), ("ccg", ccg), ("supplier", supplier)):
        if value is not None and value not in known[name]:
            fail(f"{name}: {value} is not a {name} of this world")
    try:
        token = Issuer.from_file(Path(w.file.issuer.private_key), w.file.issuer.issuer).issue(
            role, practice=practice, supplier=supplier, ccg=ccg, ttl_s=ttl)
    except CredentialError as exc:
        fail(str(exc))
    typer.echo(token)
