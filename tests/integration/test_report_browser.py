"""report.html in a real browser: headless Chromium (Debian package ``chromium``, driven by
Playwright without its downloaded browsers) renders the map and charts offline.

Needs ``/usr/bin/chromium`` (``apt-get install -y chromium``) and the ``playwright`` Python
package; skipped with the reason when either is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bmdsim.io import write_report
from tests.unit.io.result_fixture import build_result

CHROMIUM = Path("/usr/bin/chromium")
SHOT = Path("/tmp/bmdsim-report.png")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def page_run(tmp_path_factory):
    """Open the report once; record console errors, page errors and every request."""
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    out = tmp_path_factory.mktemp("report")
    path = write_report(build_result(), out / "report.html")
    url = path.resolve().as_uri()
    record = {"console": [], "errors": [], "requests": [], "blocked": []}
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: record["console"].append((m.type, m.text)))
            page.on("pageerror", lambda e: record["errors"].append(str(e)))
            page.on("request", lambda r: record["requests"].append(r.url))

            def route(r):
                if r.request.url == url:
                    r.continue_()
                else:
                    record["blocked"].append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(url, wait_until="load")
            page.wait_for_selector("#map[data-ready='1']", timeout=15_000)
            page.wait_for_timeout(300)
            record["map_paths"] = page.locator("#map svg path").count()
            record["land_paths"] = page.locator("#map .leaflet-land-pane svg path").count()
            record["charts"] = page.locator("svg.chart").count()
            record["layer_names"] = page.locator(
                ".leaflet-control-layers-overlays label span"
            ).all_inner_texts()
            record["title"] = page.locator("h1").inner_text()
            shots = [out / "report.png", SHOT]
            page.screenshot(path=str(shots[0]), full_page=False)
            shutil.copyfile(shots[0], SHOT)
            page.screenshot(path=str(out / "report-full.png"), full_page=True)
            record["shot"] = shots[0]
        finally:
            browser.close()
    return record


def test_report_makes_no_network_request(page_run):
    """Every request is the file itself: no CDN, no tile server, no font."""
    assert page_run["blocked"] == [], page_run["blocked"]
    others = [u for u in page_run["requests"] if not u.startswith(("file:", "data:"))]
    assert others == [], others


def test_report_logs_no_console_error(page_run):
    errors = [text for kind, text in page_run["console"] if kind == "error"]
    assert errors == [] and page_run["errors"] == [], (errors, page_run["errors"])


def test_report_map_renders_borders_and_layers_as_svg(page_run):
    assert page_run["land_paths"] > 20, page_run["land_paths"]
    assert page_run["map_paths"] > page_run["land_paths"] + 10, page_run["map_paths"]
    names = " ".join(page_run["layer_names"])
    for layer in ("Threat ground track", "Debris", "Sensors", "Impact predictions"):
        assert layer in names, names


def test_report_draws_charts_and_headline(page_run):
    assert page_run["charts"] >= 3
    assert "intercepted" in page_run["title"].lower()
    assert page_run["shot"].stat().st_size > 50_000
