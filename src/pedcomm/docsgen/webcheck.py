"""Validate a package in the built site's "Validate in your browser" page, in headless Chromium, as a person
would: the page opened from a local server, the package folder chosen in its folder picker, the report
downloaded with its button. Every other address is unreachable (a dead proxy for everything but the
loopback, and no name resolves), and every request the page and its Web Worker make is recorded.

Used by tests/test_web_page.py and benchmarks/bench_validate.py (--browser).

    python -m pedcomm.docsgen.webcheck SITE_DIR PACKAGE_DIR [--width 390]
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .browser import _DevTools, _errors, _launch, _Server, _stop, find_chromium

#: Nothing but the local server can be reached: a proxy that does not exist for every other address
#: (Chromium never proxies the loopback), and no host name resolves.
OFFLINE = ("--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")


@dataclass
class PageRun:
    report: dict | None = None  # the downloaded JSON report
    report_text: str = ""
    status: str = ""  # the page's own line about the result
    seconds: float = 0.0  # from choosing the folder to the report shown
    requests: list[str] = field(default_factory=list)  # every URL the page and its worker asked for
    errors: list[str] = field(default_factory=list)
    width: int = 0  # the page's own width (wider than the window: sideways scrolling)
    report_width: int = 0  # the report's width inside its frame
    page_text: str = ""
    shown: str = ""  # the text of the report shown in the page (its frame)
    progress: list[tuple[float, str]] = field(default_factory=list)  # the progress bar's values and words, as seen


def run(site: str | Path, package: str | Path, *, width: int = 1280, height: int = 1000, timeout: float = 600,
        out: str | Path | None = None, drop: bool = False) -> PageRun:
    """Open the page, choose ``package`` (a folder) in the folder picker, or drop it on the page (``drop``), wait for
    the report, download it."""
    chromium = find_chromium()
    if not chromium:
        raise FileNotFoundError("Debian's chromium is not installed (/usr/bin/chromium); run `make browser` as root")
    result = PageRun()
    server = _Server(Path(site))
    with tempfile.TemporaryDirectory(prefix="pedcomm-page-") as tmp:
        from websockets.sync.client import connect

        profile, downloads = Path(tmp) / "profile", Path(tmp) / "downloads"
        profile.mkdir()
        downloads.mkdir()
        if out:
            Path(out).mkdir(parents=True, exist_ok=True)
        proc, ws_url = _launch(chromium, profile, (width, height), Path(out or tmp) / "chromium.log", OFFLINE)
        try:
            with connect(ws_url, max_size=None, open_timeout=30) as ws:
                _drive(_DevTools(ws), server.url, Path(package).resolve(), downloads, result, (width, height), timeout, out,
                       drop)
        finally:
            _stop(proc)
            server.close()
    return result


def _drive(cdp: _DevTools, base: str, package: Path, downloads: Path, result: PageRun, size, timeout: float, out,
           drop: bool = False) -> None:
    cdp.send("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads), "eventsEnabled": True})
    target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    sessions = [session]
    for domain in ("Page", "Runtime", "Log", "Network", "DOM"):
        cdp.send(f"{domain}.enable", session=session)
    # a Web Worker is a target of its own: it waits at its start until its requests are recorded on its session
    cdp.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True}, session=session)
    cdp.send("Emulation.setDeviceMetricsOverride", {"width": size[0], "height": size[1], "deviceScaleFactor": 1,
                                                    "mobile": size[0] < 600}, session=session)
    cdp.send("Page.navigate", {"url": base + "validate/"}, session=session)
    if not cdp.wait_for("Page.loadEventFired", session, timeout=60):
        result.errors.append("the page did not finish loading within 60 s")

    def evaluate(expr: str, s: str = session):
        params = {"expression": expr, "returnByValue": True, "awaitPromise": True}
        return cdp.send("Runtime.evaluate", params, session=s)["result"].get("value")

    def attach_workers() -> None:
        for e in cdp.events:
            if e.get("method") == "Target.attachedToTarget" and e.get("sessionId") == session:
                s = e["params"]["sessionId"]
                if s not in sessions:
                    sessions.append(s)
                    for method in ("Network.enable", "Runtime.enable", "Runtime.runIfWaitingForDebugger"):
                        try:
                            cdp.send(method, session=s, timeout=10)
                        except (RuntimeError, TimeoutError):
                            pass

    # wait for the page's script (the versions appear when it has read the site's files)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not evaluate("document.querySelectorAll('#pv-versions dd').length"):
        cdp.drain(0.2)
        attach_workers()
    doc = cdp.send("DOM.getDocument", session=session)["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": doc, "selector": "#pv-folder"}, session=session)["nodeId"]
    # every change of the progress bar and its words, as the page makes it
    evaluate("window.__seen = []; new MutationObserver(() => { const p = document.getElementById('pv-progress'); "
             "window.__seen.push([p.hidden ? null : p.value, document.getElementById('pv-phase').textContent]); })"
             ".observe(document.getElementById('pv-app'), {subtree: true, attributes: true, childList: true, "
             "characterData: true}); true")
    started = time.monotonic()
    if drop:  # dragged from the file manager onto the drop zone
        evaluate("document.getElementById('pv-drop').scrollIntoView({block: 'center'})")
        box = json.loads(evaluate("JSON.stringify(document.getElementById('pv-drop').getBoundingClientRect())"))
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        data = {"items": [], "files": [str(package)], "dragOperationsMask": 1}
        for kind in ("dragEnter", "dragOver", "drop"):
            cdp.send("Input.dispatchDragEvent", {"type": kind, "x": x, "y": y, "data": data}, session=session)
    else:
        cdp.send("DOM.setFileInputFiles", {"files": [str(package)], "nodeId": node}, session=session)
    deadline = started + timeout
    done = False
    while time.monotonic() < deadline:
        cdp.drain(0.5)
        attach_workers()
        state = evaluate("JSON.stringify({done: !document.getElementById('pv-downloads').hidden, "
                         "msg: document.getElementById('pv-message').textContent})")
        state = json.loads(state)
        result.status = state["msg"]
        if state["done"]:
            done = True
            break
        if "stopped" in state["msg"] or "more than a browser tab can hold" in state["msg"]:
            break
    result.seconds = time.monotonic() - started
    for value, words in json.loads(evaluate("JSON.stringify(window.__seen || [])")):
        if value is not None and (not result.progress or result.progress[-1] != (value, words)):
            result.progress.append((value, words))
    if not done:
        result.errors.append(f"no report within {timeout:.0f} s: {result.status}")
    else:
        evaluate("document.getElementById('pv-download').click()")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(p.suffix == ".json" for p in downloads.iterdir()):
            cdp.drain(0.2)
        cdp.drain(0.5)
        files = [p for p in downloads.iterdir() if p.suffix == ".json"]
        if files:
            result.report_text = files[0].read_text(encoding="utf-8")
            result.report = json.loads(result.report_text)
        else:
            result.errors.append("the report was not downloaded")
        cdp.drain(1.0)  # the frame's resize
    probe = evaluate("JSON.stringify({width: document.documentElement.scrollWidth, text: document.body.innerText, "
                     "report: (() => { const d = document.getElementById('pv-report').contentDocument; "
                     "return d ? d.documentElement.scrollWidth : 0; })(), "
                     "shown: (() => { const d = document.getElementById('pv-report').contentDocument; "
                     "return d && d.body ? d.body.innerText : ''; })()})")
    probe = json.loads(probe)
    result.width, result.page_text, result.report_width = probe["width"], probe["text"], probe["report"]
    result.shown = probe["shown"]
    if out:
        import base64

        shot = cdp.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)["data"]
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / f"validate-{size[0]}.png").write_bytes(base64.b64decode(shot))
    attach_workers()
    for e in cdp.events:
        if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") in sessions:
            result.requests.append(e["params"]["request"]["url"])
    for s in sessions:
        result.errors += _errors(cdp.events, s)


if __name__ == "__main__":
    import sys

    args = sys.argv[1:]
    w = 1280
    if "--width" in args:
        i = args.index("--width")
        w = int(args[i + 1])
        del args[i:i + 2]
    r = run(args[0], args[1], width=w, out=".docs-artifacts/webcheck")
    print(json.dumps({"status": r.status, "seconds": round(r.seconds, 2), "errors": r.errors, "width": r.width,
                      "report_width": r.report_width, "requests": sorted(set(r.requests)),
                      "report_status": (r.report or {}).get("status")}, indent=1))
