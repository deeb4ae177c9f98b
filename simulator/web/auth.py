"""Every caller known by role: one FastAPI security dependency the three services share.

``allow("gpes", "auditor")`` on a route: no valid bearer token is 401, a token of another role is
403 with the reason; the route gets the verified :class:`Principal` and checks ownership itself
(``own_practice`` and friends), because only the service knows whose a practice is. Tokens are
verified against the world's public key, loaded once at start; nothing is read per request.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fastapi import Depends, FastAPI, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from simulator.contracts.credentials import NO_AUTH, CredentialError, Principal, Verifier
from simulator.web.errors import Refused

log = logging.getLogger("qofsim.auth")

_bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                     description="a JWT from `qofsim credentials issue ROLE ... --world DIR` (EdDSA, the world's key)")


@dataclass(frozen=True)
class Auth:
    """How a service checks callers: against a verifier, or not at all (``serve --no-auth``)."""

    verifier: Verifier | None

    @classmethod
    def disabled(cls) -> "Auth":
        return cls(None)

    @classmethod
    def from_key(cls, public_key: Path) -> "Auth":
        return cls(Verifier.from_file(public_key))

    @classmethod
    def from_settings(cls, cfg) -> "Auth":
        """A service's settings: ``no_auth``, or its ``issuer_key`` (ServiceSettings checked one is given)."""
        return cls.disabled() if cfg.no_auth else cls.from_key(cfg.issuer_key)


def install_auth(app: FastAPI, auth: Auth) -> None:
    app.state.auth = auth
    if auth.verifier is None:
        log.warning("AUTHENTICATION IS OFF (--no-auth): %s takes any call from anyone", app.title)


def allow(*roles: str):
    """A dependency admitting only these roles; the route receives the caller's Principal."""

    def caller(request: Request, creds: HTTPAuthorizationCredentials | None = Security(_bearer)) -> Principal:
        auth: Auth = request.app.state.auth
        if auth.verifier is None:
            return NO_AUTH
        if creds is None:
            raise Refused(401, "authorization", "no bearer token: send 'Authorization: Bearer <token>' "
                                                "(qofsim credentials issue ROLE --world DIR)")
        try:
            p = auth.verifier.verify(creds.credentials)
        except CredentialError as exc:
            raise Refused(401, "authorization", str(exc)) from None
        if p.role not in roles:
            article = "an" if p.role[0] in "aeiou" else "a"
            raise Refused(403, "role", f"{article} {p.role} may not {request.method} {request.url.path}: "
                                       f"only {' or '.join(roles)}")
        return p

    caller.roles = roles  # read by the OpenAPI documentation of errors
    return Depends(caller)


def own_practice(p: Principal, practice_code: str, ccg_of: Mapping[str, str], field: str = "practice_code") -> None:
    """A practice acts only for itself, a commissioner only for its CCG's practices; others pass."""
    if p.role == "practice" and p.practice != practice_code:
        raise Refused(403, field, f"practice {p.practice} may act only for itself, not for {practice_code}")
    if p.role == "commissioner" and ccg_of.get(practice_code) != p.ccg:
        raise Refused(403, field, f"{practice_code} is not a practice of commissioner {p.ccg}")


def own_supplier(p: Principal, supplier: str, field: str = "supplier") -> None:
    """A supplier sees and sends only its own."""
    if p.role == "supplier" and p.supplier != supplier:
        raise Refused(403, field, f"supplier {p.supplier} may not act for {supplier}")
