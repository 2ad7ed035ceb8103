"""The reviewer HTML in a real browser: headless Chromium, offline, driven over DevTools."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import websocket

from .conftest import HOSTILE_CITY, PAYLOADS, required

pytestmark = pytest.mark.slow


#: Where a Chromium-family browser is found: $CHROMIUM, then these commands on the PATH
#: (Debian's chromium, Ubuntu's and GitHub's runners' Google Chrome), then macOS's apps.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MAC_BROWSERS = (
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)


def browser_command() -> str | None:
    """The headless browser the tests drive, or None when there is none."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    for name in BROWSERS:
        if found := shutil.which(name):
            return found
    return next((path for path in MAC_BROWSERS if os.path.exists(path)), None)


@pytest.fixture(autouse=True)
def _chromium():
    required(browser_command(), "no Chromium or Chrome found (make test installs chromium on Debian)")


FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
]


class DevTools:
    """A minimal Chrome DevTools Protocol client over one page's websocket."""

    def __init__(self, url: str):
        self.ws = websocket.create_connection(url, timeout=30)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(e.get("method") == method for e in self.events):
                return
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(method)


@pytest.fixture
def browser():
    profile = Path(tempfile.mkdtemp(prefix="chromium-"))
    process = subprocess.Popen(
        [browser_command(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        for _ in range(200):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = json.loads(
            urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read()
        )
        page = next(t for t in targets if t["type"] == "page")
        client = DevTools(page["webSocketDebuggerUrl"])
        yield client
        client.ws.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


def load_offline(client: DevTools, path: Path) -> list[dict]:
    client.call("Network.enable")
    client.call(
        "Network.emulateNetworkConditions",
        offline=True,
        latency=0,
        downloadThroughput=-1,
        uploadThroughput=-1,
    )
    client.call("Page.enable")
    client.call("Page.navigate", url=path.resolve().as_uri())
    client.wait_for("Page.loadEventFired")
    time.sleep(0.5)  # let late requests, if any, show up
    client.call("Runtime.evaluate", expression="1")  # drain pending events
    return client.events


def evaluate(client: DevTools, expression: str):
    result = client.call("Runtime.evaluate", expression=expression, returnByValue=True)
    return result["result"]["value"]


@pytest.mark.parametrize("name", ["report.html", "report.it.html"])
def test_report_loads_offline_with_every_image_decoded(browser, hostile_built, name):
    report = hostile_built["latest"] / name
    events = load_offline(browser, report)
    failed = [e for e in events if e.get("method") == "Network.loadingFailed"]
    requested = [
        e["params"]["request"]["url"]
        for e in events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    assert not failed, failed
    assert all(url.startswith(("file:", "data:")) for url in requested), requested
    images = evaluate(browser, "[...document.images].map(i => [i.complete, i.naturalWidth])")
    svgs = evaluate(browser, "document.querySelectorAll('svg').length")
    assert images or svgs
    assert all(complete and width > 0 for complete, width in images), images
    assert evaluate(browser, "document.querySelectorAll('table caption').length") >= 5
    # the hostile name is text, never markup
    body = evaluate(browser, "document.body.innerText")
    assert HOSTILE_CITY in body
    assert (
        evaluate(
            browser, "[...document.querySelectorAll('b')].filter(b => b.textContent === 'x').length"
        )
        == 0
    )
    assert os.path.getsize(report) > 0
    assert evaluate(browser, "document.documentElement.lang") == ("it" if ".it." in name else "en")


@pytest.mark.parametrize("name", ["report.html", "report.it.html", "html/02_descriptive_statistics.html",
                                  "html/03_regression.html", "html/06_findings.html"])  # fmt: skip
def test_no_script_from_the_data_runs_in_a_browser(browser, hostile_built, name):
    """Rule H03 in a real browser: the codebook's and claims' payloads stay text; the page runs no script."""
    assert hostile_built["result"].returncode == 0, hostile_built["result"].stderr[-3000:]
    load_offline(browser, hostile_built["latest"] / name)
    assert evaluate(browser, "typeof window.pwned") == "undefined"
    assert evaluate(browser, "document.scripts.length") == 0
    assert evaluate(browser, "document.querySelectorAll('[onerror],[onload],svg,a[href^=javascript]').length") == 0
    shown = evaluate(browser, "document.body.innerText + [...document.images].map(i => i.alt).join(' ')")
    assert any(p in shown for p in PAYLOADS), name  # the payloads the page shows, as text or alt text


def test_the_pages_policy_stops_a_script_that_got_in(browser, tmp_path):
    """The Content-Security-Policy is a second wall: an inline script in a page that carries it does not run."""
    from helpers.runner.export import CONTENT_SECURITY_POLICY

    page = tmp_path / "page.html"
    for policy, ran in ((CONTENT_SECURITY_POLICY, "undefined"), ("script-src 'unsafe-inline'", "number")):
        page.write_text(
            f'<!DOCTYPE html><html lang="en"><head><meta http-equiv="Content-Security-Policy" content="{policy}">'
            "<title>t</title></head><body><script>window.pwned = 1</script>"
            '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" onerror="window.pwned = 2" alt=""></body></html>',
            encoding="utf-8",
        )
        load_offline(browser, page)
        assert evaluate(browser, "typeof window.pwned") == ran, policy


AXE_JS = Path(__file__).resolve().parents[1] / ".tools" / "axe" / "axe.min.js"


def axe_violations(client: DevTools, page: Path) -> list[dict]:
    """Run axe-core (WCAG 2 A and AA rules, and best practice) on ``page``: its violations."""
    load_offline(client, page)
    client.call("Runtime.evaluate", expression=AXE_JS.read_text(encoding="utf-8"))
    result = client.call(
        "Runtime.evaluate",
        expression=(
            "axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify("
            "r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))"
        ),
        awaitPromise=True,
        returnByValue=True,
    )
    return json.loads(result["result"]["value"])


def _html_pages(run: Path) -> list[Path]:
    return [run / "report.html", run / "report.it.html", *sorted((run / "html").glob("*.html"))]


@pytest.mark.parametrize(
    "name",
    [
        "report.html",
        "report.it.html",
        *(
            f"html/{n}.html"
            for n in (
                "01_data_cleaning",
                "02_descriptive_statistics",
                "03_regression",
                "04_specification_curve",
                "05_calibration",
                "06_findings",
            )
        ),
    ],
)
def test_axe_finds_no_serious_or_critical_violation(browser, hostile_built, name):
    """Every HTML a reader gets (reviewer reports and researcher notebooks) passes axe-core."""
    required(AXE_JS.exists(), "axe-core not installed (make test-deps installs it)")
    page = hostile_built["latest"] / name
    assert page in _html_pages(hostile_built["latest"])
    violations = axe_violations(browser, page)
    severe = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert severe == [], json.dumps(severe, indent=1)


def test_a_grids_index_passes_axe_and_loads_offline(browser, grid_built):
    """The grid's overview page: no violation of any impact, its figure decoded, nothing fetched."""
    required(AXE_JS.exists(), "axe-core not installed (make test-deps installs it)")
    page = grid_built["grid_dir"] / "index.html"
    events = load_offline(browser, page)
    requested = [
        e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"
    ]
    assert all(url.startswith(("file:", "data:")) for url in requested), requested
    images = evaluate(browser, "[...document.images].map(i => [i.complete, i.naturalWidth, i.alt])")
    assert len(images) == 1 and images[0][:2] == [True, images[0][1]] and images[0][1] > 0
    assert images[0][2].startswith("Correlation r with its 95% interval")
    violations = axe_violations(browser, page)
    assert violations == [], json.dumps(violations, indent=1)


def test_axe_would_report_a_figure_without_alternative_text(browser, tmp_path):
    """The check can fail: an image without alt and low-contrast text are violations."""
    required(AXE_JS.exists(), "axe-core not installed (make test-deps installs it)")
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<p style="color:#bbb;background:#fff">faint</p></main></body></html>'
    )
    found = {v["id"] for v in axe_violations(browser, page)}
    assert {"image-alt", "color-contrast"} <= found


@pytest.mark.parametrize("name", ["report.html", "report.it.html"])
def test_every_figure_has_its_own_alternative_text(browser, hostile_built, name):
    load_offline(browser, hostile_built["latest"] / name)
    alts = evaluate(browser, "[...document.images].map(i => i.alt)")
    assert len(alts) >= 5  # the lead figure, the pair, one city at a time, a curve per outcome
    assert all(len(a) > 60 for a in alts), alts
    assert len(set(alts)) == len(alts)
    assert not any("No description" in a for a in alts)
    # the lead figure (every pair's correlation) and the notable pair's scatter plot, in the page's language
    english = ".it." not in name
    lead, pair = ("Dot plot of", "Scatter plot of") if english else ("Grafico a punti", "Grafico a dispersione")
    assert alts[0].startswith(lead) and any(a.startswith(pair) for a in alts), alts
