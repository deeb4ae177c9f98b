"""`qofsim credentials issue`: tokens a world's services accept, for the roles and owners the world has;
and the verifier: signed by that world's key, for qofsim, of a known role and scope, unexpired."""

from __future__ import annotations

import datetime as dt
import os
import stat

import jwt
import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.contracts.credentials import CredentialError, Issuer, Verifier, make_keys
from simulator.world.layout import WorldFile
from simulator.world.processes import credentials


@pytest.fixture
def world(tmp_path):
    (tmp_path / "config").mkdir()
    issuer = credentials(tmp_path)
    WorldFile(scenario="t", seed=1, nation="", created_at=dt.datetime.now().isoformat(), services={},
              practices=[{"practice_code": "A81001", "supplier": "TPP", "ccg_code": "05X"}], issuer=issuer).write(tmp_path)
    return tmp_path, Verifier.from_file(issuer.public_key)


@pytest.mark.parametrize("args, want", [
    (["practice", "--practice", "A81001"], ("practice", "practice:A81001", "A81001")),
    (["commissioner", "--ccg", "05X"], ("commissioner", "commissioner:05X", "05X")),
    (["supplier", "--supplier", "TPP"], ("supplier", "supplier:TPP", "TPP")),
    (["finance"], ("finance", "finance", "finance")),
    (["auditor"], ("auditor", "auditor", "auditor")),
    (["gpes"], ("gpes", "gpes", "gpes")),
])
def test_issue_prints_a_token_the_worlds_services_accept(world, args, want):
    directory, verifier = world
    r = CliRunner().invoke(app, ["credentials", "issue", *args, "--world", str(directory)])
    assert r.exit_code == 0, r.output
    p = verifier.verify(r.output.strip())
    assert (p.role, p.sub, p.identity) == want


@pytest.mark.parametrize("args, said", [
    (["practice"], "a practice credential names its practice"),
    (["practice", "--practice", "Z99999"], "Z99999 is not a practice of this world"),
    (["finance", "--practice", "A81001"], "a finance credential names no practice"),
    (["commissioner", "--ccg", "99Q"], "99Q is not a ccg of this world"),
    (["mallory"], "'mallory' is not one of supplier, gpes, practice, commissioner, finance, auditor"),
])
def test_issue_refuses_what_the_world_does_not_have(world, args, said):
    directory, _ = world
    r = CliRunner().invoke(app, ["credentials", "issue", *args, "--world", str(directory)])
    assert r.exit_code == 2 and said in r.output, r.output


def test_the_private_key_is_its_owners_alone(world):
    directory, _ = world
    mode = os.stat(directory / "config" / "issuer.key").st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_the_verifier_refuses_what_it_should(tmp_path):
    private, public = make_keys(tmp_path / "a")
    other, _ = make_keys(tmp_path / "b")
    v = Verifier.from_file(public)
    good = Issuer.from_file(private).issue("finance")
    assert v.verify(good).role == "finance"
    assert v.verify(good) is v.verify(good)  # verified once, then kept
    for token, why in [
        (Issuer.from_file(other).issue("finance"), "Signature verification failed"),
        (Issuer.from_file(private, issuer="elsewhere").issue("finance"), "Invalid issuer"),
        (Issuer.from_file(private).issue("finance", ttl_s=-5), "expired"),
        (jwt.encode({"role": "finance", "sub": "x", "iss": "qofsim", "aud": "qofsim", "exp": 2**40, "iat": 0},
                    "secret", algorithm="HS256"), "The specified alg value is not allowed"),
        (jwt.encode({"role": "finance", "sub": "x", "iss": "qofsim", "aud": "qofsim", "exp": 2**40, "iat": 0}, None,
                    algorithm="none"), "The specified alg value is not allowed"),
    ]:
        with pytest.raises(CredentialError, match=why):
            v.verify(token)
