"""Who a caller is: signed bearer tokens (JWT, EdDSA over Ed25519) naming a role and whose it is.

A world has one issuer key pair, made by ``qofsim up``/``run``: the private half stays in the
world's folder (``qofsim credentials issue`` and the harness sign with it); every service is given
only the public half, so no service can mint a credential. Verification is cheap and done once
per distinct token: the key is loaded once and each verified token's principal is kept until it
expires (the collection path sends the same token thousands of times a second).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ROLES = ("supplier", "gpes", "practice", "commissioner", "finance", "auditor")
SCOPE = {"supplier": "supplier", "practice": "practice", "commissioner": "ccg"}  # role -> the claim it must carry
ALGORITHM = "EdDSA"
AUDIENCE = "qofsim"
DEFAULT_TTL_S = 7 * 24 * 3600  # a world lives for a run or a load test; a week outlasts both
PRIVATE_NAME, PUBLIC_NAME = "issuer.key", "issuer.pub"
ISSUER = "qofsim"  # the iss claim; each world has its own key, so a token is good in one world only


class CredentialError(ValueError):
    """A token that cannot be trusted, or a credential that cannot be issued: the message says why."""


@dataclass(frozen=True)
class Principal:
    """A verified caller: its role and, for scoped roles, whose (one practice, supplier or CCG)."""

    role: str
    sub: str
    practice: str | None = None
    supplier: str | None = None
    ccg: str | None = None

    @property
    def identity(self) -> str:
        return self.practice or self.supplier or self.ccg or self.sub


NO_AUTH = Principal(role="no-auth", sub="no-auth")  # `serve --no-auth`: every check passes


def subject(role: str, practice: str | None = None, supplier: str | None = None, ccg: str | None = None) -> str:
    scope = {"practice": practice, "supplier": supplier, "ccg": ccg}
    return f"{role}:{scope[SCOPE[role]]}" if role in SCOPE else role


def make_keys(directory: Path) -> tuple[Path, Path]:
    """A new Ed25519 issuer key pair in ``directory`` (private key readable by its owner only)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private, public = directory / PRIVATE_NAME, directory / PUBLIC_NAME
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


class Issuer:
    """Signs credentials with a world's private key (the harness and ``qofsim credentials`` only)."""

    def __init__(self, private_pem: bytes, issuer: str = ISSUER):
        key = serialization.load_pem_private_key(private_pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise CredentialError("issuer key: not an Ed25519 private key")
        self._key = key
        self.issuer = issuer
        self._cache: dict[tuple, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path, issuer: str = ISSUER) -> "Issuer":
        try:
            return cls(Path(path).read_bytes(), issuer)
        except OSError as exc:
            raise CredentialError(f"issuer key: cannot read {path}: {exc.strerror}") from None

    def issue(self, role: str, practice: str | None = None, supplier: str | None = None, ccg: str | None = None,
              ttl_s: int = DEFAULT_TTL_S) -> str:
        if role not in ROLES:
            raise CredentialError(f"role: {role!r} is not one of {', '.join(ROLES)}")
        scope = {"practice": practice, "supplier": supplier, "ccg": ccg}
        need = SCOPE.get(role)
        for name, value in scope.items():
            if name == need and not value:
                raise CredentialError(f"{name}: a {role} credential names its {name} (--{name})")
            if name != need and value:
                raise CredentialError(f"{name}: a {role} credential names no {name}")
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": AUDIENCE, "sub": subject(role, **scope), "role": role,
                  "iat": now, "exp": now + int(ttl_s), "jti": str(uuid.uuid4())}
        claims |= {k: v for k, v in scope.items() if v}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def token(self, role: str, **scope) -> str:
        """A credential for this role and scope, made once and kept (the harness asks many times)."""
        k = (role, tuple(sorted((n, v) for n, v in scope.items() if v)))
        with self._lock:
            tok = self._cache.get(k)
            if tok is None:
                tok = self._cache[k] = self.issue(role, **scope)
        return tok


class Verifier:
    """Checks bearer tokens against a world's public key; each distinct token is verified once."""

    MAX_CACHED = 50_000

    def __init__(self, public_pem: bytes, issuer: str = ISSUER):
        key = serialization.load_pem_public_key(public_pem)
        if not isinstance(key, Ed25519PublicKey):
            raise CredentialError("issuer public key: not an Ed25519 public key")
        self._key = key
        self.issuer = issuer
        self._seen: dict[str, tuple[Principal, float]] = {}

    @classmethod
    def from_file(cls, path: Path, issuer: str = ISSUER) -> "Verifier":
        try:
            return cls(Path(path).read_bytes(), issuer)
        except OSError as exc:
            raise CredentialError(f"issuer public key: cannot read {path}: {exc.strerror}") from None

    def verify(self, token: str) -> Principal:
        hit = self._seen.get(token)
        if hit is not None:
            if hit[1] > time.time():
                return hit[0]
            self._seen.pop(token, None)
            raise CredentialError("the token has expired")
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=self.issuer,
                                options={"require": ["exp", "iat", "iss", "aud", "sub", "role"]})
        except jwt.ExpiredSignatureError:
            raise CredentialError("the token has expired") from None
        except jwt.InvalidTokenError as exc:
            raise CredentialError(f"the token is not valid: {exc}") from None
        role = claims.get("role")
        if role not in ROLES:
            raise CredentialError(f"the token's role {role!r} is not one of {', '.join(ROLES)}")
        need = SCOPE.get(role)
        scope = {n: claims.get(n) for n in ("practice", "supplier", "ccg")}
        if need and not isinstance(scope[need], str):
            raise CredentialError(f"a {role} token must name its {need}")
        p = Principal(role=role, sub=str(claims["sub"]), **{n: v for n, v in scope.items() if n == need})
        if len(self._seen) >= self.MAX_CACHED:
            self._seen.clear()
        self._seen[token] = (p, float(claims["exp"]))
        return p
