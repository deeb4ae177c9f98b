"""The `qofsim` commands a user types, with their clear errors."""

from typer.testing import CliRunner

from simulator.cli import app

runner = CliRunner()


def test_generate_with_check_prints_figures_beside_targets(tmp_path):
    r = runner.invoke(app, ["generate", "--practices", "3", "--seed", "5", "--out", str(tmp_path / "n"), "--check"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "n" / "practices.parquet").exists()
    assert "profile target" in r.output and "HYP" in r.output


def test_generate_refuses_an_unknown_profile(tmp_path):
    r = runner.invoke(app, ["generate", "--practices", "1", "--profile", "atlantis", "--out", str(tmp_path / "n")])
    assert r.exit_code == 2 and "atlantis" in r.output
    assert not (tmp_path / "n").exists()


def test_catalogue_lists_all_rows_and_the_unsourced_ones():
    full = runner.invoke(app, ["catalogue"])
    assert full.exit_code == 0 and "148 of 148 indicators" in full.output
    placeholders = runner.invoke(app, ["catalogue", "--unsourced"])
    assert placeholders.exit_code == 0 and " of 148 indicators" in placeholders.output
    assert "148 of 148" not in placeholders.output


def test_run_refuses_a_missing_scenario(tmp_path):
    r = runner.invoke(app, ["run", str(tmp_path / "nope.yaml")])
    assert r.exit_code == 2 and "no such scenario file" in r.output
