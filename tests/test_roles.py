"""Who may do what: every route in every service's OpenAPI, called with every role, answered as the
one table below says (issue #12).

``TABLE`` is the rule book, written here and not read from the services: a role it names may call the
route ("all"), or may call it only for what it owns ("own": a practice itself, a commissioner its
CCG's practices, a supplier itself) and is refused 403 for anyone else's; a role it does not name
gets 403 with a reason; no token, or a token from another world's key, gets 401. A route the table
does not know (a new endpoint without a rule) fails the suite, as does a rule for a route gone.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from simulator.contracts import canonical_json
from simulator.contracts.credentials import ROLES, Issuer, make_keys
from simulator.cqrs import app as cqrs_app
from simulator.cqrs.service import Cqrs
from simulator.db import sessions
from simulator.gpes import app as gpes_app
from simulator.gpes.collect import Gpes
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue
from simulator.supplier import app as supplier_app
from simulator.supplier.service import Supplier
from tests.credentials import AUTH, PRIVATE, token

CAT = default_catalogue()
SPEC = build_spec(CAT)
# A81001: TPP's, commissioned by 05X (the "own" of every scoped role); B82005: EMIS's, 06Y's (someone else's)
REGISTRY = {"A81001": ("TPP", "05X"), "B82005": ("EMIS", "06Y")}
OWN = {"practice": "A81001", "ccg": "05X", "supplier": "TPP"}
OTHER = {"practice": "B82005", "ccg": "06Y", "supplier": "EMIS"}
SCOPE = {"practice": "practice", "commissioner": "ccg", "supplier": "supplier"}

ANYONE = "anyone"
R = dict  # role -> "all" | "own"
TABLE: dict[tuple[str, str, str], dict | str] = {
    # GPES
    ("gpes", "GET", "/health"): ANYONE,
    ("gpes", "GET", "/spec"): R(supplier="all", gpes="all", auditor="all"),
    ("gpes", "GET", "/spec/schema"): R(supplier="all", gpes="all", auditor="all"),
    ("gpes", "POST", "/requests"): R(gpes="all"),
    ("gpes", "POST", "/collections"): R(gpes="all"),
    ("gpes", "GET", "/collections"): R(gpes="all", auditor="all"),
    ("gpes", "GET", "/collections/{collection_id}"): R(gpes="all", auditor="all"),
    ("gpes", "POST", "/extracts"): R(supplier="own"),
    ("gpes", "POST", "/extracts/batch"): R(supplier="own"),  # a practice it does not host: 403 in the item
    ("gpes", "POST", "/forwarding/retry"): R(gpes="all"),
    ("gpes", "GET", "/requests"): R(gpes="all", auditor="all"),
    ("gpes", "GET", "/receipts"): R(gpes="all", auditor="all"),
    # CQRS
    ("cqrs", "GET", "/health"): ANYONE,
    ("cqrs", "POST", "/extracts"): R(gpes="all"),
    ("cqrs", "POST", "/extracts/batch"): R(gpes="all"),
    ("cqrs", "GET", "/extracts"): R(gpes="all", auditor="all"),
    ("cqrs", "GET", "/extracts/{extract_id}/body"): R(gpes="all", auditor="all"),
    ("cqrs", "GET", "/extract-bodies"): R(gpes="all", auditor="all"),
    ("cqrs", "GET", "/achievements"): R(finance="all", auditor="all"),
    ("cqrs", "GET", "/manual-entries"): R(finance="all", auditor="all"),
    ("cqrs", "GET", "/workflow"): R(finance="all", auditor="all"),
    ("cqrs", "POST", "/calculations"): R(finance="all"),
    ("cqrs", "GET", "/practices/{practice_code}/achievement"):
        R(practice="own", commissioner="own", finance="all", auditor="all"),
    ("cqrs", "GET", "/practices/{practice_code}/achievement/summary"):
        R(practice="own", commissioner="own", finance="all", auditor="all"),
    ("cqrs", "POST", "/practices/{practice_code}/manual-entries"): R(practice="own"),
    ("cqrs", "GET", "/practices/{practice_code}/manual-entries"):
        R(practice="own", commissioner="own", finance="all", auditor="all"),
    ("cqrs", "POST", "/practices/{practice_code}/declaration"): R(practice="own"),
    ("cqrs", "POST", "/practices/{practice_code}/approval"): R(commissioner="own"),
    ("cqrs", "POST", "/manual-entries"): R(practice="own"),
    ("cqrs", "POST", "/declarations"): R(practice="own"),
    ("cqrs", "POST", "/approvals"): R(commissioner="own"),
    ("cqrs", "POST", "/payment-runs"): R(finance="all"),
    ("cqrs", "GET", "/audit"): R(auditor="all"),
    # a supplier (TPP's service: "own" is TPP)
    ("supplier", "GET", "/health"): ANYONE,
    ("supplier", "POST", "/extraction-requests"): R(gpes="all"),
    ("supplier", "GET", "/jobs"): R(supplier="own", gpes="all", auditor="all"),
    ("supplier", "GET", "/jobs/{job_id}"): R(supplier="own", gpes="all", auditor="all"),
    ("supplier", "GET", "/outbox"): R(supplier="own", gpes="all", auditor="all"),
}


def extract(practice: str, request_id: str = "r", extract_id: str | None = None) -> dict:
    supplier = REGISTRY[practice][0]
    return {"schema_version": "1", "extract_id": extract_id or f"x-{practice}", "request_id": request_id,
            "spec_id": SPEC.spec_id, "supplier": supplier, "practice_code": practice, "achievement_date": "2013-03-31",
            "list_size": 6000, "registers": {r.id: 300 for r in SPEC.registers},
            "indicators": [{"id": i.id, "numerator": 30, "denominator": 40, "exceptions": 1} for i in SPEC.indicators]}


YESNO = next(c for c, d in CAT.indicators.items() if not d.extracted and d.kind == "yesno")


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("roles")
    cqrs = Cqrs(sessions(f"sqlite:///{tmp / 'cqrs.db'}"), CAT, {p: c for p, (_, c) in REGISTRY.items()}, tmp / "pay")
    for p in REGISTRY:
        cqrs.ingest(canonical_json(extract(p)), None)
    cqrs.calculate()
    gpes = Gpes(sessions(f"sqlite:///{tmp / 'gpes.db'}"), SPEC, {p: s for p, (s, _) in REGISTRY.items()},
                public_url="http://127.0.0.1:9")
    supplier = Supplier("TPP", CAT, tmp / "none.parquet", tmp / "none.parquet", ["A81001"],
                        sessions(f"sqlite:///{tmp / 'tpp.db'}"))
    return {"cqrs": TestClient(cqrs_app.create_app(cqrs, AUTH)),
            "gpes": TestClient(gpes_app.create_app(gpes, AUTH, background=False)),
            "supplier": TestClient(supplier_app.create_app(supplier, AUTH, background=False)),
            "_gpes": gpes}


def routes(apps) -> set[tuple[str, str, str]]:
    out = set()
    for service in ("gpes", "cqrs", "supplier"):
        for path, ops in apps[service].app.openapi()["paths"].items():
            out |= {(service, method.upper(), path) for method in ops}
    return out


def test_every_route_has_a_rule_and_every_rule_a_route(apps):
    have = routes(apps)
    assert sorted(have - set(TABLE)) == [], "routes without a rule in TABLE"
    assert sorted(set(TABLE) - have) == [], "rules for routes no service has"


def call(apps, service: str, method: str, path: str, whose: dict, headers: dict):
    """One call of the route for ``whose`` practice / CCG / supplier, with a body it would take."""
    practice, ccg = whose["practice"], whose["ccg"]
    url = path.replace("{practice_code}", practice).replace("{extract_id}", f"x-{practice}") \
              .replace("{collection_id}", "no-such-collection").replace("{job_id}", "no-such-job")
    body = None
    if (service, method, path) == ("gpes", "POST", "/extracts"):
        req = apps["_gpes"].create_request(REGISTRY[OWN["practice"]][0])
        raw = canonical_json(extract(OWN["practice"], req.request_id, extract_id=f"x-{req.request_id}"))
        from simulator.contracts import sha256

        return apps[service].post(url, content=raw, headers={**headers, "Content-Type": "application/json",
                                                             "X-Content-SHA256": sha256(raw)})
    if (service, method, path) == ("gpes", "POST", "/extracts/batch"):
        req = apps["_gpes"].create_request(REGISTRY[OWN["practice"]][0])
        raw = canonical_json(extract(OWN["practice"], req.request_id, extract_id=f"x-{req.request_id}"))
        from simulator.contracts import sha256

        return apps[service].post(url, json={"extracts": [{"sha256": sha256(raw), "body": raw.decode()}]},
                                  headers=headers)
    if (service, method, path) == ("cqrs", "POST", "/extracts"):
        from simulator.contracts import sha256

        raw = canonical_json(extract(practice))
        return apps[service].post(url, content=raw, headers={**headers, "Content-Type": "application/json",
                                                             "X-Content-SHA256": sha256(raw)})
    if method == "POST":
        entries = {"entered_by": "pm", "entries": [{"ind_code": YESNO, "achieved": True}]}
        body = {
            ("gpes", "/requests"): {"supplier": "TPP"},
            ("cqrs", "/extracts/batch"): {"extracts": [{"sha256": "0" * 64, "body": "{}"}]},
            ("cqrs", "/practices/{practice_code}/manual-entries"): entries,
            ("cqrs", "/practices/{practice_code}/declaration"): {"declared_by": "pm"},
            ("cqrs", "/practices/{practice_code}/approval"): {"approver": ccg, "decision": "reject", "reason": "r"},
            ("cqrs", "/manual-entries"): {"practices": [{"practice_code": practice, **entries}]},
            ("cqrs", "/declarations"): {"declarations": [{"practice_code": practice, "declared_by": "pm"}]},
            ("cqrs", "/approvals"): {"approvals": [{"practice_code": practice, "approver": ccg, "decision": "reject",
                                                    "reason": "r"}]},
            ("supplier", "/extraction-requests"): apps["_gpes"].create_request("TPP").model_dump(mode="json"),
        }.get((service, path))
    return apps[service].request(method, url, json=body, headers=headers)


def answer(service: str, path: str, r) -> tuple[int, list]:
    """The status the caller got for the practice it named: a bulk request answers per practice."""
    if r.status_code == 200 and r.request.method == "POST" and (service, path) in {
            ("cqrs", "/manual-entries"), ("cqrs", "/declarations"), ("cqrs", "/approvals"),
            ("gpes", "/extracts/batch")} and "results" in r.json():
        (only,) = r.json()["results"]
        return only["status"], only["detail"]
    try:
        return r.status_code, r.json().get("detail", []) if isinstance(r.json(), dict) else []
    except ValueError:
        return r.status_code, []


def who(role: str, whose: dict) -> dict:
    scope = {SCOPE[role]: whose[SCOPE[role]]} if role in SCOPE else {}
    return {"Authorization": f"Bearer {token(role, **scope)}"}


CASES = [(k, role) for k in TABLE for role in ROLES]


@pytest.mark.parametrize("route, role", CASES, ids=[f"{s} {m} {p} as {r}" for (s, m, p), r in CASES])
def test_each_role_gets_what_the_table_says(apps, route, role):
    service, method, path = route
    rule = TABLE[route]
    status, detail = answer(service, path, call(apps, service, method, path, OWN, who(role, OWN)))
    if rule == ANYONE or role in rule:
        assert status not in (401, 403), f"{role} was refused: {status} {detail}"
        assert status < 500, (status, detail)
    else:
        assert status == 403, f"{role} should be refused, got {status} {detail}"
        assert detail and detail[0]["field"] and role in detail[0]["reason"], detail
    if isinstance(rule, dict) and rule.get(role) == "own":  # someone else's: refused, with the reason
        if service == "cqrs":  # A81001's practice / 05X acting for B82005 (another practice, another CCG's)
            r = call(apps, service, method, path, OTHER, who(role, OWN))
        else:  # EMIS sending TPP's practice's extract to GPES, or reading TPP's jobs and outbox
            r = call(apps, service, method, path, OWN, who(role, OTHER))
        status, detail = answer(service, path, r)
        assert status == 403 and detail and detail[0]["field"] and detail[0]["reason"], (status, detail)


@pytest.mark.parametrize("route", [k for k, v in TABLE.items() if v != ANYONE], ids=lambda k: " ".join(k))
def test_without_a_valid_token_it_is_401(apps, route):
    service, method, path = route
    stranger = Issuer.from_file(make_keys(Path(tempfile.mkdtemp()))[0])  # another world's key
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"},
                    {"Authorization": f"Bearer {stranger.issue('auditor')}"}):
        r = call(apps, service, method, path, OWN, headers)
        assert r.status_code == 401, (headers, r.status_code, r.text)
        assert r.json()["detail"][0]["field"] == "authorization" and r.headers["WWW-Authenticate"] == "Bearer"


def test_an_expired_token_is_401(apps):
    expired = Issuer.from_file(PRIVATE).issue("auditor", ttl_s=-1)
    r = apps["cqrs"].get("/audit", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"][0]["reason"]
