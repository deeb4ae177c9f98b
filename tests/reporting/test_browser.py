"""The reports in a real browser: Debian's headless Chromium, driven by Playwright (pip) through its
executable path, so nothing is downloaded. Opens reports/index.html, the run's index, a practice page and a
commissioner page as served by `qofsim report serve`'s server on 127.0.0.1 (and the run index from the
file too); checks every plot drew an SVG, every link resolves, the console shows no error; saves
screenshots under reports/browser/."""

import os
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from simulator.reporting.cli import server
from simulator.reporting.index import write_index

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "reports" / "browser"
TIMEOUT_MS = 60_000  # a 2-core machine shared with other work

if not CHROMIUM.exists():  # scripts/system-packages.sh installs it (make test); CI must have it
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: run scripts/system-packages.sh as root")
    pytest.skip(f"{CHROMIUM} is missing (scripts/system-packages.sh installs it)", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def site(small_run):
    reports = small_run.parent
    load = reports / "load" / "20260101T000000-probe"  # a load run's summary as simulator/loadtest writes it
    load.mkdir(parents=True)
    (load / "locust.html").write_text("<!doctype html><title>locust</title><p>locust's own report</p>")
    (load / "summary.json").write_text(
        '{"kind": "load", "verdict": "passed", "started": "2026-01-01T00:00:00+00:00", "title": "load probe",'
        ' "report": "locust.html", "profile": "probe", "requests_per_s": 12.5, "p50_ms": 4, "p95_ms": 20,'
        ' "error_ratio": 0.0, "failed_requests": 0}')
    write_index(reports)
    srv = server(reports)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield reports, f"http://127.0.0.1:{srv.server_address[1]}/"
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, timeout=TIMEOUT_MS,
                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield b
        finally:
            b.close()  # Playwright ends the browser process it started


def _visit(browser, url: str, shot: str) -> tuple[object, list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    page.goto(url, wait_until="load")
    charts = page.eval_on_selector_all("div.chart", "els => els.map(e => e.id)")
    if charts:
        page.wait_for_function("() => [...document.querySelectorAll('div.chart')].every(e => e.dataset.rendered)")
    for c in charts:
        assert page.get_attribute(f"#{c}", "data-rendered") == "1", f"{url}: plot {c} did not render: {errors}"
        box = page.eval_on_selector(f"#{c} svg", "s => [s.getBoundingClientRect().width, s.getBoundingClientRect().height]")
        assert box[0] > 200 and box[1] > 80, f"{url}: plot {c} is {box}"
        assert box[0] <= page.eval_on_selector("body", "b => b.clientWidth"), f"{url}: plot {c} is wider than the page"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=shot != "practice-top")
    return page, errors


def _links_resolve(page, base: str) -> int:
    hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    for h in hrefs:
        target = urllib.parse.urldefrag(h)[0]
        if target.startswith("file:"):
            assert Path(urllib.parse.unquote(urllib.parse.urlparse(target).path)).exists(), h
        else:
            assert target.startswith(base), f"a link leaves the reports: {h}"
            with urllib.request.urlopen(target, timeout=30) as r:
                assert r.status == 200, h
    return len(hrefs)


def test_index_run_practice_and_commissioner_pages_render_in_chromium(site, browser, small_run):
    reports, base = site
    page, errors = _visit(browser, base + "index.html", "reports-index")
    assert page.locator("#runs tr").count() >= 3  # header, the run, the load run
    assert page.locator("#runs a", has_text="small: 4 practices").count() == 1
    assert page.locator("#load svg").count() == 1  # load results over time
    assert _links_resolve(page, base) >= 2
    assert errors == []
    page.close()

    page, errors = _visit(browser, base + "run1/index.html", "run-index")
    assert page.locator("div.chart").count() == 5
    assert page.locator("#flow .hop.bad").count() == 0
    assert "GPES refused 0 submissions, 0 expected" in page.inner_text("body")
    legend = page.inner_text("#achievement")
    assert "lower threshold" in legend and "upper threshold" in legend  # the key says what the colours mean
    assert "GP-system supplier" in page.inner_text("#payments") and "achievement payment (£)" in page.inner_text("#payments")
    n_links = _links_resolve(page, base)
    practice = page.locator("#practices a").first.inner_text()
    ccg = page.locator("#commissioners a").first.inner_text()
    assert n_links >= 4 + 2 and errors == []
    page.close()

    page, errors = _visit(browser, f"{base}run1/practices/{practice}.html", "practice")
    text = page.inner_text("body")
    for words in ("Every indicator", "numerator", "exceptions", "thresholds", "missed", "APDF = prevalence",
                  "CPI = list", "declared by", "approved by", "SHA-256"):
        assert words in text, words
    assert page.locator("td .bad", has_text="no").count() == 0  # every component's figures multiply to CQRS's amount
    _links_resolve(page, base)
    assert errors == []
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.screenshot(path=str(SHOTS / "practice-top.png"))
    page.close()

    page, errors = _visit(browser, f"{base}run1/commissioners/{ccg}.html", "commissioner")
    assert "Nothing awaits this commissioner's approval." in page.inner_text("body")
    _links_resolve(page, base)
    assert errors == []
    page.close()

    # and from the file, without a server: the same plots, no error
    page, errors = _visit(browser, (small_run / "index.html").as_uri(), "run-index-file")
    assert errors == []
    page.close()
