"""The report's words and figures, from a real small run's data (tests/reporting/conftest.py)."""

import json
from decimal import Decimal

from typer.testing import CliRunner

from simulator.cli import app
from simulator.qof.catalogue import default_catalogue
from simulator.reporting.data import DATA, read_records, why_points
from simulator.reporting.index import write_index
from simulator.reporting.report import _checks


def test_why_an_indicator_lost_points_follows_the_sliding_scale():
    d = default_catalogue().indicators["DM28"]  # 50-90 %
    assert "below the lower threshold of 50" in why_points(d, "scored", Decimal("40"), Decimal(0), None)
    assert "between the thresholds (50–90 %)" in why_points(d, "scored", Decimal("70"), Decimal(5), None)
    assert "full points" in why_points(d, "scored", Decimal("95"), d.points, None)
    assert why_points(d, "not_supplied", None, Decimal(0), None).startswith("not supplied")


def test_a_no_fault_run_says_gpes_refused_nothing_not_1():
    s = {"checks": {"rejected submissions as expected": 1}, "discrepancies": [], "extracts_rejected": 0,
         "extracts_rejected_expected": 0}
    assert _checks(s) == [{"name": "rejected submissions as expected", "n": 1, "failed": 0,
                           "note": "GPES refused 0 submissions, 0 expected"}]


def test_practice_records_carry_what_cqrs_stored_and_the_hops(small_run):
    records = list(read_records(small_run / DATA))
    achievements = json.loads((small_run / "achievements.json").read_text())
    assert [r["practice_code"] for r in records] == sorted(achievements)
    for r in records:
        a = achievements[r["practice_code"]]
        assert r["payment_gbp"] == a["payment_gbp"] and r["state"] == "Payment Instructed"
        assert [c["amount_exact"] for c in r["components"]] == list(a["components_gbp"].values())
        assert all(c["agrees"] for c in r["components"]), [c for c in r["components"] if not c["agrees"]]
        assert any(h["why"] == f"declared by {r['practice_code']}-practice-manager" for h in r["history"])
        assert any(h["why"] == f"approved by {r['ccg_code']}" for h in r["history"])
        assert len(r["hops"]) == 1 and r["hops"][0]["same"]
        missed = sum(Decimal(i["missed"]) for i in r["indicators"])
        maximum = sum(Decimal(d["max_points"]) for d in a["domains"])
        assert missed == maximum - sum(Decimal(i["points"]) for i in r["indicators"])  # missed adds up
        extracted = [i for i in r["indicators"] if i["source"] == "extract"]
        assert extracted and all(i["denominator"] is not None and i["exceptions"] is not None for i in extracted)


def test_domain_maximums_print_as_whole_points_and_every_practice_has_a_page(small_run):
    html = (small_run / "index.html").read_text()
    assert ">257.0<" not in html and "<td class=\"num\">257</td>" in html  # the domain maximum, as points
    assert "(extracted indicators)" not in html
    records = list(read_records(small_run / DATA))
    for r in records:
        page = (small_run / "practices" / f"{r['practice_code']}.html").read_text()
        assert f"Practice {r['practice_code']}" in page and r["hops"][0]["supplier_sha256"] in page
    for ccg in {r["ccg_code"] for r in records}:
        assert (small_run / "commissioners" / f"{ccg}.html").exists()


def test_a_practice_page_shows_its_history_from_cqrs_audit_log(small_run):
    """Issue #12: who did what to the practice's record (role and identity), when, before and after."""
    records = list(read_records(small_run / DATA))
    paid = next(r for r in records if r["instruction"])
    assert {"extract stored", "approve", "payment instructed"} <= {a["action"] for a in paid["audit"]}, paid["audit"]
    page = (small_run / "practices" / f"{paid['practice_code']}.html").read_text()
    assert "Audit log (CQRS)" in page and "extract stored" in page and "commissioner:" in page


def test_the_index_lists_any_folder_with_a_summary_newest_first(tmp_path):
    for name, started, verdict in (("conform/a", "2026-01-02T00:00:00", "failed"), ("b", "2026-01-03T00:00:00", "passed")):
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "summary.json").write_text(json.dumps(
            {"kind": "conform" if "conform" in name else "bdd", "verdict": verdict, "started": started, "title": name}))
        (tmp_path / name / "report.html").write_text("x")
    (tmp_path / "noise").mkdir()
    (tmp_path / "noise" / "summary.json").write_text("[1, 2]")
    html = write_index(tmp_path).read_text()
    assert html.index('href="b/report.html"') < html.index('href="conform/a/report.html"')
    assert "Conformance verdicts" in html and "Gherkin results" in html and "noise" not in html


def test_report_build_renders_a_run_again_without_practice_pages(small_run, tmp_path):
    import shutil

    copy = tmp_path / "reports" / "again"
    shutil.copytree(small_run, copy, ignore=shutil.ignore_patterns("world", "nation", "practices", "commissioners"))
    r = CliRunner().invoke(app, ["report", "build", str(copy), "--no-practice-pages"])
    assert r.exit_code == 0, r.output
    assert "Per-practice pages are off" in (copy / "index.html").read_text() and not (copy / "practices").exists()
    assert (tmp_path / "reports" / "index.html").exists()
    bad = CliRunner().invoke(app, ["report", "build", str(tmp_path)])
    assert bad.exit_code == 2 and "not a run folder" in bad.output
