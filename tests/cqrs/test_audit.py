"""CQRS's audit log (issue #12): every state change and manual entry, with who (role and identity from
the credential, not from the body), when, what, before and after; read by the auditor at GET /audit."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from simulator.contracts import canonical_json, sha256
from simulator.cqrs.app import create_app
from simulator.cqrs.service import Cqrs
from simulator.cqrs.workflow import APPROVED, AWAITING_CO, AWAITING_SP, PAID
from simulator.db import sessions
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue
from tests.credentials import AUTH, bearer

CAT = default_catalogue()
SPEC = build_spec(CAT)
YESNO = next(c for c, d in CAT.indicators.items() if not d.extracted and d.kind == "yesno")


def body(practice: str) -> bytes:
    return canonical_json({
        "schema_version": "1", "extract_id": f"x-{practice}", "request_id": "r", "spec_id": SPEC.spec_id,
        "supplier": "TPP", "practice_code": practice, "achievement_date": "2013-03-31", "list_size": 6000,
        "registers": {r.id: 300 for r in SPEC.registers},
        "indicators": [{"id": i.id, "numerator": 30, "denominator": 40, "exceptions": 1} for i in SPEC.indicators]})


def test_every_change_is_recorded_with_who_when_what_before_and_after(tmp_path):
    cqrs = Cqrs(sessions(f"sqlite:///{tmp_path / 'c.db'}"), CAT, {"A81001": "05X", "B82005": "06Y"}, tmp_path / "pay")
    c = TestClient(create_app(cqrs, AUTH))
    me, ccg = bearer("practice", practice="A81001"), bearer("commissioner", ccg="05X")
    start = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    raw = body("A81001")
    assert c.post("/extracts", content=raw, headers={**bearer("gpes"), "Content-Type": "application/json",
                                                     "X-Content-SHA256": sha256(raw)}).status_code == 201
    entry = {"entered_by": "the practice manager", "entries": [{"ind_code": YESNO, "achieved": True}]}
    assert c.post("/practices/A81001/manual-entries", json=entry, headers=me).status_code == 200
    entry["entries"][0]["achieved"] = False
    assert c.post("/practices/A81001/manual-entries", json=entry, headers=me).status_code == 200
    assert c.post("/practices/A81001/manual-entries", json=entry, headers=me).json()["stored"] == 0  # unchanged
    assert c.post("/calculations", headers=bearer("finance")).status_code == 200
    assert c.post("/practices/A81001/declaration", json={"declared_by": "pm"}, headers=me).status_code == 200
    assert c.post("/practices/A81001/declaration", json={"declared_by": "pm"}, headers=me).status_code == 200  # again
    r = c.post("/practices/A81001/approval", json={"approver": "06Y", "decision": "approve"},
               headers=bearer("commissioner", ccg="06Y"))
    assert r.status_code == 403  # refused: leaves no trace in the log
    assert c.post("/practices/A81001/approval", json={"approver": "05X", "decision": "approve"},
                  headers=ccg).status_code == 200
    assert c.post("/payment-runs", headers=bearer("finance")).status_code == 201

    log = c.get("/audit", headers=bearer("auditor")).json()
    got = [(a["role"], a["identity"], a["action"], a["practice_code"], a["before"], a["after"]) for a in log]
    assert got[0] == ("gpes", "gpes", "extract stored", "A81001", None,
                      {"extract_id": "x-A81001", "sha256": sha256(raw)})
    assert got[1] == ("practice", "A81001", "manual entry", "A81001", {YESNO: None}, {YESNO: {"achieved": True}})
    assert got[2] == ("practice", "A81001", "manual entry", "A81001", {YESNO: {"achieved": True}},
                      {YESNO: {"achieved": False}})
    assert got[3] == ("finance", "finance", "calculation", None, None, {"calculated": 1})
    assert got[4] == ("practice", "A81001", "declaration", "A81001", {"state": AWAITING_SP},
                      {"state": AWAITING_CO, "declared_by": "pm"})
    assert got[5] == ("commissioner", "05X", "approve", "A81001", {"state": AWAITING_CO}, {"state": APPROVED})
    assert got[6][:5] == ("finance", "finance", "payment instructed", "A81001", {"state": APPROVED})
    assert got[6][5]["state"] == PAID and got[6][5]["amount_gbp"] == cqrs.achievement("A81001").payment_gbp
    assert len(got) == 7  # the unchanged entry, the repeated declaration and the refused approval: none
    assert all(start <= dt.datetime.fromisoformat(a["at"]) for a in log)
    assert [a["id"] for a in log] == sorted(a["id"] for a in log)

    mine = c.get("/audit", params={"practice_code": "A81001", "after": log[3]["id"]}, headers=bearer("auditor")).json()
    assert [a["action"] for a in mine] == ["declaration", "approve", "payment instructed"]
    assert c.get("/audit", params={"limit": 2}, headers=bearer("auditor")).json() == log[:2]
