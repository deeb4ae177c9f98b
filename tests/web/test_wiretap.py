"""The wire tap: off unless asked for; then every exchange a service had, one JSON line each, with the
request body when the service took it and the answer always (the identifier scan reads them)."""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient

from simulator.web.body import BodyGuard
from simulator.web.wiretap import ENV, install_wire_tap


def app_with_tap() -> FastAPI:
    app = FastAPI()
    app.add_middleware(BodyGuard)
    install_wire_tap(app, "probe")

    @app.post("/things")
    def things(body: dict):
        return {"took": body}

    return app


def test_every_exchange_is_one_line_and_a_refused_request_leaves_only_its_answer(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path / "wire"))
    client = TestClient(app_with_tap())
    assert client.post("/things?x=1", json={"a": 1}).status_code == 200
    assert client.post("/things?x=2", content=b'{"a":1,"a":2}',
                       headers={"content-type": "application/json"}).status_code == 422
    (tap,) = (tmp_path / "wire").iterdir()
    assert tap.name.startswith("probe-") and tap.name.endswith(".wire.ndjson")
    took, refused = [json.loads(line) for line in tap.read_text().splitlines()]
    assert took == {"service": "probe", "method": "POST", "path": "/things?x=1", "status": 200,
                    "request": '{"a":1}', "response": '{"took":{"a":1}}'}
    assert refused["status"] == 422 and refused["path"] == "/things" and refused["request"] is None
    assert "duplicate key" in refused["response"]


def test_off_unless_asked_for(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    app = app_with_tap()
    assert [m.cls.__name__ for m in app.user_middleware] == ["BodyGuard"]
    assert TestClient(app).post("/things", json={"a": 1}).status_code == 200
