"""Open pages of the built site in headless Chromium (Debian's package), served from a local server.

Chromium is driven over the DevTools protocol, which reports what a page does wrong: uncaught
exceptions, console errors, failed loads. Each page is screenshotted.

    python -m pedcomm.docsgen.browser SITE_DIR OUT_DIR [PAGE ...]
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--remote-debugging-port=0")


def find_chromium() -> str | None:
    """Debian's chromium, or None; no other browser is used."""
    return CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")


@dataclass
class PageResult:
    path: str
    url: str
    title: str = ""
    screenshot: Path | None = None
    errors: list[str] = field(default_factory=list)
    missing_ids: list[str] = field(default_factory=list)
    width: int = 0  # the page's own width (document scroll width): wider than the window means sideways scrolling
    #: elements whose information is shown only on hover (a title attribute): none on a phone
    hover_only: list[str] = field(default_factory=list)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server:
    """The site folder over HTTP on a free local port, in a background thread."""

    def __init__(self, root: Path):
        handler = functools.partial(_Quiet, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _DevTools:
    """A minimal DevTools-protocol client over one websocket (flattened sessions)."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.events: list[dict] = []

    def _recv(self, deadline: float) -> dict | None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        try:
            return json.loads(self.ws.recv(timeout=remaining))
        except TimeoutError:
            return None

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while (m := self._recv(deadline)) is not None:
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)
        raise TimeoutError(f"no answer to {method} within {timeout} s")

    def wait_for(self, method: str, session: str, timeout: float) -> bool:
        if any(e.get("method") == method and e.get("sessionId") == session for e in self.events):
            return True
        deadline = time.monotonic() + timeout
        while (m := self._recv(deadline)) is not None:
            self.events.append(m)
            if m.get("method") == method and m.get("sessionId") == session:
                return True
        return False

    def drain(self, seconds: float):
        deadline = time.monotonic() + seconds
        while (m := self._recv(deadline)) is not None:
            self.events.append(m)



def _errors(events: list[dict], session: str) -> list[str]:
    out = []
    for e in events:
        if e.get("sessionId") != session:
            continue
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append(f"exception: {d.get('exception', {}).get('description') or d.get('text')}")
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = p.get("args", [])
            out.append("console." + p["type"] + ": " + " ".join(str(a.get("value", a.get("description", ""))) for a in args))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            entry = p["entry"]
            out.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip())
        elif method == "Network.loadingFailed" and not p.get("canceled"):
            out.append(f"load failed: {p.get('errorText')} ({p.get('type')})")
    return out


def _launch(chromium: str, profile: Path, size: tuple[int, int], log: Path,
            extra: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
    args = [chromium, *FLAGS, *extra, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}", "about:blank"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(log, "wb"), start_new_session=True)
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if port_file.is_file() and len(lines := port_file.read_text().split()) >= 2:
            return proc, f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with code {proc.returncode}; see {log}")
        time.sleep(0.1)
    _stop(proc)
    raise RuntimeError(f"chromium did not open its DevTools port within 30 s; see {log}")


def _stop(proc: subprocess.Popen):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the browser's own process group, started above
            proc.wait(timeout=10)


def check_pages(site: str | Path, out: str | Path, pages: dict[str, list[str]], *,
                size: tuple[int, int] = (1280, 1000), settle: float = 1.0, chromium: str | None = None,
                mobile: bool = False) -> list[PageResult]:
    """Load each page (site-relative path -> element ids it must contain); screenshot it; report errors.
    ``mobile``: emulate a phone of that width (its viewport, touch; the page's own width is measured)."""
    chromium = chromium or find_chromium()
    if not chromium:
        raise FileNotFoundError("Debian's chromium is not installed (/usr/bin/chromium); run `make setup` as root")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    server = _Server(Path(site))
    results = []
    with tempfile.TemporaryDirectory(prefix="pedcomm-chromium-") as profile:
        from websockets.sync.client import connect

        proc, ws_url = _launch(chromium, Path(profile), size, out / "chromium.log")
        try:
            with connect(ws_url, max_size=None, open_timeout=30) as ws:
                cdp = _DevTools(ws)
                for path, ids in pages.items():
                    results.append(_check(cdp, server.url, path, ids, out, size, settle, mobile))
        finally:
            _stop(proc)
            server.close()
    return results


def _check(cdp: _DevTools, base: str, path: str, ids: list[str], out: Path, size, settle: float,
           mobile: bool = False) -> PageResult:
    result = PageResult(path=path, url=base + path)
    target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        cdp.send(f"{domain}.enable", session=session)
    cdp.send("Emulation.setDeviceMetricsOverride",
             {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": mobile}, session=session)
    cdp.send("Page.navigate", {"url": result.url}, session=session)
    if not cdp.wait_for("Page.loadEventFired", session, timeout=30):
        result.errors.append("the page did not finish loading within 30 s")
    cdp.drain(settle)  # let the theme's scripts run; their errors arrive as events
    probe = (f"JSON.stringify({{title: document.title, missing: {json.dumps(ids)}.filter(id => !document.getElementById(id)), "
             "width: document.documentElement.scrollWidth, "
             "hover: [...document.querySelectorAll('body [title]')].map(el => el.outerHTML.slice(0, 120))})")
    evaluated = cdp.send("Runtime.evaluate", {"expression": probe, "returnByValue": True}, session=session)
    value = json.loads(evaluated["result"]["value"])
    result.title, result.missing_ids = value["title"], value["missing"]
    result.width, result.hover_only = value["width"], value["hover"]
    shot = cdp.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
    name = path.strip("/").replace("/", "_").replace("#", "_") or "index"
    result.screenshot = out / f"{name}.png"
    result.screenshot.write_bytes(base64.b64decode(shot))
    cdp.drain(0.2)
    result.errors += _errors(cdp.events, session)
    cdp.send("Target.closeTarget", {"targetId": target})
    return result


if __name__ == "__main__":
    import sys

    site_dir, out_dir, *paths = sys.argv[1:] or ["site", ".docs-artifacts/screenshots"]
    bad = 0
    for r in check_pages(site_dir, out_dir, {p: [] for p in (paths or ["", "data-dictionary/", "checks/"])}):
        print(f"{r.url}: {r.title!r}, screenshot {r.screenshot}, {len(r.errors)} errors")
        for e in r.errors:
            print("   ", e)
        bad += bool(r.errors)
    sys.exit(1 if bad else 0)
