"""The world's mesh-sandbox: where its python is, how GPES and CQRS map onto its canned mailboxes."""

from __future__ import annotations

import stat

import pytest

from simulator.world import sandbox


def test_without_its_python_it_says_how_to_make_it(tmp_path, monkeypatch):
    monkeypatch.setenv(sandbox.ENV_PYTHON, str(tmp_path / "missing" / "python"))
    with pytest.raises(sandbox.SandboxMissing, match=r"run `make install` .* \.venv-mesh .* QOFSIM_MESH_SANDBOX_PYTHON"):
        sandbox.sandbox_python()


def test_gpes_sends_to_cqrs_on_the_extract_workflow_and_cqrs_answers_on_the_other():
    gpes, cqrs = sandbox.side("gpes", "http://u", "k"), sandbox.side("cqrs", "http://u", "k")
    assert (gpes["mailbox"], gpes["peer"], gpes["workflow_id"]) == ("X26ABC1", "X26ABC2", "TEST_WORKFLOW")
    assert (cqrs["mailbox"], cqrs["peer"], cqrs["workflow_id"]) == ("X26ABC2", "X26ABC1", "TEST_WORKFLOW_ACK")


def test_its_settings_file_holds_the_shared_key_for_its_owner_only(tmp_path):
    env = sandbox.write_env(tmp_path / "config" / "mesh.env", tmp_path / "mesh", "s3cret")
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    lines = env.read_text().splitlines()
    assert "SHARED_KEY=s3cret" in lines and "AUTH_MODE=full" in lines and "STORE_MODE=file" in lines
    assert f"MAILBOXES_DATA_DIR={(tmp_path / 'mesh').resolve()}" in lines and (tmp_path / "mesh").is_dir()
