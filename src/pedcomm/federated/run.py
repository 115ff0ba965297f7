"""The federated commands' engines: the rehearsal on one machine, the centre and the site of a real
deployment. Each starts Flower's processes (pedcomm.federated.processes), runs the apps of
pedcomm.federated.flower and stops every process it started, also on Ctrl-C and on failure.

Outputs of the rehearsal and the centre (one folder, claimed and written atomically by
pedcomm.files.outputs; nothing is written when no model was fitted):

- ``federated_models.csv``: the columns of reproduce's survey_models.csv;
- ``federated_sites.csv``: every site asked, whether it took part, and the codes of why not;
- ``federated_report.json``: the settings, the rounds, the sites and every finding;
- the rehearsal only: ``audit-<SITE>.jsonl``, what each site sent (pedcomm.federated.audit).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..validation.registry import check
from ..validation.report import Report

APP = Path(__file__).parent / "app"
CONNECTION = "pedcomm"
WAIT = 120.0  # seconds the centre waits for the expected sites to connect
ROUND_TIMEOUT = 600.0  # seconds a site has to answer one round
OUTPUTS = ("federated_models.csv", "federated_sites.csv", "federated_report.json")


class FlowerMissing(Exception):
    """flwr cannot be imported (pedcomm installed without its federated extra)."""


@check("FEDERATED_UNAVAILABLE")
def unavailable(report: Report, detail: str) -> Report:
    report.add("FEDERATED_UNAVAILABLE", detail=detail)
    return report


def require_flower() -> None:
    try:
        import flwr  # noqa: F401
    except ImportError as e:
        raise FlowerMissing(f"flwr cannot be imported ({e})") from None


@dataclass
class Result:
    """What a federated run did: the outcome document of the ServerApp (or of the run's stop), and
    the folder written (None when nothing was)."""

    findings: list[dict] = field(default_factory=list)
    sites: list[dict] = field(default_factory=list)
    fitted: list[dict] = field(default_factory=list)
    rounds: int = 0
    out: Path | None = None


def _site_id(package: Path, fallback: str) -> str:
    """The site a package declares (read from its descriptor only), for labels and file names."""
    from ..files.inputs import descriptor_path
    from ..standard.declaration import SITE_ID

    try:
        doc = json.loads(descriptor_path(package).read_text(encoding="utf-8"))
        site = (doc.get("pedcomm") or {}).get("site")
    except (OSError, ValueError, AttributeError):
        site = None
    return site if isinstance(site, str) and SITE_ID.fullmatch(site) else fallback


def _toml_string(value: str) -> str:
    return json.dumps(str(value))


def _run_config(result: Path, sites: int, setup: dict, wait: float, round_timeout: float) -> str:
    items = {"result": _toml_string(str(result)), "sites": str(int(sites)), "wait": repr(float(wait)),
             "round-timeout": repr(float(round_timeout)), "site-effects": _toml_string(setup.get("site_effects") or "none"),
             **{k: _toml_string(setup.get(k) or "") for k in ("method", "cluster", "correction")}}
    return " ".join(f"{k}={v}" for k, v in items.items())


def _flower_home(home: Path, address: str, ca: Path | None) -> Path:
    """Flower's home of the run: the connection for `flwr run` and a copy of the app."""
    (home / "cli").mkdir(parents=True, exist_ok=True)
    tls = f"root-certificates = {_toml_string(str(ca))}" if ca is not None else "insecure = true"
    (home / "cli" / "config.toml").write_text(f'[superlink]\ndefault = "{CONNECTION}"\n\n[superlink.{CONNECTION}]\n'
                                              f'address = "{address}"\n{tls}\n', encoding="utf-8")
    app = home / "app"
    shutil.copytree(APP, app, ignore=shutil.ignore_patterns("__pycache__"))
    return app


@dataclass(frozen=True)
class TLS:
    """The centre's TLS files (server certificate and key, and the CA that signed them)."""

    certificate: Path
    key: Path
    ca: Path


def _superlink(procs, home: Path, host: str, port: int, tls: TLS | None) -> None:
    from .processes import environment, executable

    argv = [executable("flower-superlink"), "--host", host, "--port", str(port),
            "--disable-runtime-dependency-installation"]
    argv += (["--ssl-certfile", str(tls.certificate), "--ssl-keyfile", str(tls.key), "--ssl-ca-certfile", str(tls.ca)]
             if tls is not None else ["--insecure"])
    procs.start("superlink", argv, environment(home / "superlink"), cwd=home)


def _supernode(procs, label: str, home: Path, address: str, package: Path, audit: Path | None, work: Path,
               config: Path | None, review: bool, ca: Path | None) -> None:
    from .processes import environment, executable, free_port

    work.mkdir(parents=True, exist_ok=True)
    node = {"package": str(Path(package).resolve()), "audit": str(audit or ""), "work": str(work),
            "config": str(Path(config).resolve()) if config else "", "review": "true" if review else "false"}
    argv = [executable("flower-supernode"), "--superlink", address, "--host", "127.0.0.1", "--port", str(free_port()),
            "--node-config", " ".join(f"{k}={_toml_string(v)}" for k, v in node.items())]
    argv += ["--root-certificates", str(ca)] if ca is not None else ["--insecure"]
    procs.start(label, argv, environment(home / label), cwd=home)


def _wait_listening(procs, host: str, port: int, timeout: float = 60.0) -> None:
    from .processes import listening

    end = time.monotonic() + timeout
    while not listening("127.0.0.1" if host in ("0.0.0.0", "::") else host, port):
        if "superlink" in procs.ended():
            raise RuntimeError(f"the SuperLink stopped at once: {procs.log_tail('superlink')}")
        if time.monotonic() > end:
            raise RuntimeError(f"the SuperLink did not listen on port {port} within {timeout:g} seconds")
        time.sleep(0.2)


def _lost(site: str, detail: str) -> dict:
    from ..validation.report import Report
    from .centre import lost

    report = Report()
    lost(report, site, detail)
    f = report.findings[0]
    return {"code": f.code, "value": f.value, "message": f.message, "action": f.action, "severity": f.severity}


def _fit(procs, home: Path, app: Path, result: Path, n_sites: int, setup: dict, wait: float, round_timeout: float,
         sites: dict[str, str], say: Callable[[str], None]) -> Result:
    """Run the app with `flwr run` and watch every process until the ServerApp's result appears."""
    from .processes import environment, executable

    config = _run_config(result, n_sites, setup, wait, round_timeout)
    procs.start("flwr-run", [executable("flwr"), "run", str(app), CONNECTION, "--stream", "--run-config", config],
                environment(home / "cli"), cwd=home)
    seen = 0
    while not result.exists():
        ended = procs.ended()
        for label in ended:
            if label in sites:  # a site's process ended during the fit: stop at once
                return Result(findings=[_lost(sites[label], "stopped (its SuperNode process ended) during the fit")])
        if "superlink" in ended:
            raise RuntimeError(f"the SuperLink stopped during the fit: {procs.log_tail('superlink')}")
        if "flwr-run" in ended:
            time.sleep(0.5)
            if not result.exists():
                raise RuntimeError(f"the Flower run ended without a result: {procs.log_tail('flwr-run', 8)}")
        lines = [ln for ln in (procs.logs / "flwr-run.log").read_text(errors="replace").splitlines() if "pedcomm: " in ln]
        for ln in lines[seen:]:
            say(ln.split("pedcomm: ", 1)[1])
        seen = len(lines)
        time.sleep(0.2)
    doc = json.loads(result.read_text(encoding="utf-8"))
    return Result(doc["findings"], doc["sites"], doc["fitted"], int(doc["rounds"]))


def _write(dest: Path, res: Result, setup: dict) -> None:
    import numpy as np
    import pandas as pd

    from ..analysis.render_tables import csv_frame
    from ..studies.survey.analysis.models import FittedModel, ModelSettings, estimates

    settings = ModelSettings.from_config(setup.get("method"), setup.get("cluster"), setup.get("correction"))
    arrays = ("coef", "se", "lower", "upper", "p")
    fitted = [FittedModel(**{**m, **{k: np.array(m[k], dtype=float) for k in arrays}}) for m in res.fitted]
    data = estimates(fitted, settings)
    (dest / "federated_models.csv").write_text(csv_frame(data).to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    sites = pd.DataFrame([{"site": s["site"], "status": s["status"], "codes": " ".join(s["codes"])} for s in res.sites],
                         columns=["site", "status", "codes"])
    (dest / "federated_sites.csv").write_text(sites.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    report = {"settings": {**settings.as_dict(), "site_effects": setup.get("site_effects") or "none",
                           "estimation": settings.describe()},
              "rounds": res.rounds, "sites": res.sites, "findings": res.findings,
              "models": [{k: m[k] for k in ("name", "n_relationships", "events", "n_clusters", "dependence", "warnings")}
                         for m in res.fitted]}
    (dest / "federated_report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def rehearse(packages: Sequence[Path], out: Path, *, setup: dict, force: bool = False, wait: float = WAIT,
             round_timeout: float = ROUND_TIMEOUT, configs: Sequence[Path] = (), review: Sequence[str] = (),
             progress: Callable[[str], None] | None = None) -> Result:
    """The whole federation on 127.0.0.1: a SuperLink, a SuperNode per package, the fit; ``review``:
    the sites (by declared id) that run in review mode; ``configs``: a site.yaml per package (or none)."""
    from ..files.inputs import package_files
    from ..files.outputs import FOLDER, claim
    from .processes import Processes, free_port

    require_flower()
    say = progress or (lambda _m: None)
    protect = [f for p in packages for f in package_files(p)] + list(configs)
    try:
        with claim(out, kind=FOLDER, command="federated rehearse", force=force, protect=protect) as dest, \
                dest.staging() as staging, tempfile.TemporaryDirectory(prefix="pedcomm-flower-") as tmp:
            home = Path(tmp)
            port = free_port()
            address = f"127.0.0.1:{port}"
            app = _flower_home(home, address, None)
            labels: dict[str, str] = {}
            with Processes(home / "logs") as procs:
                say(f"starting the SuperLink on {address}")
                _superlink(procs, home, "127.0.0.1", port, None)
                _wait_listening(procs, "127.0.0.1", port)
                used: set[str] = set()
                for i, package in enumerate(packages, start=1):
                    site = _site_id(Path(package), f"site{i}")
                    name = site if site not in used else f"{site}-{i}"
                    used.add(name)
                    label = f"supernode-{i}"
                    labels[label] = site
                    say(f"starting the SuperNode of site {site}")
                    _supernode(procs, label, home, address, Path(package), Path(staging) / f"audit-{name}.jsonl",
                               home / label / "work", configs[i - 1] if i <= len(configs) else None, site in review, None)
                res = _fit(procs, home, app, home / "result.json", len(packages), setup, wait, round_timeout, labels, say)
                say("stopping the SuperLink and the SuperNodes")
            if not res.fitted:
                raise NotFitted(res)
            _write(Path(staging), res, setup)
    except NotFitted as e:
        return e.result
    res.out = Path(out)
    return res


class NotFitted(Exception):
    """No model was fitted: nothing is written (the run's findings say why)."""

    def __init__(self, result: Result):
        super().__init__("no model was fitted")
        self.result = result


def centre(out: Path, *, sites: int, host: str, port: int, tls: TLS | None, setup: dict, force: bool = False,
           wait: float = WAIT, round_timeout: float = ROUND_TIMEOUT, progress: Callable[[str], None] | None = None) -> Result:
    """The centre of a real deployment: a SuperLink on host:port (TLS unless ``tls`` is None) that
    waits for ``sites`` SuperNodes (the sites' `pedcomm federated site`), then the fit. The centre's
    own `flwr run` reaches the SuperLink at 127.0.0.1 (the certificate must name it too)."""
    from ..files.outputs import FOLDER, claim
    from .processes import Processes

    require_flower()
    say = progress or (lambda _m: None)
    protect = [tls.certificate, tls.key, tls.ca] if tls is not None else []
    try:
        with claim(out, kind=FOLDER, command="federated centre", force=force, protect=protect) as dest, \
                dest.staging() as staging, tempfile.TemporaryDirectory(prefix="pedcomm-flower-") as tmp:
            home = Path(tmp)
            app = _flower_home(home, f"127.0.0.1:{port}", tls.ca if tls is not None else None)
            with Processes(home / "logs") as procs:
                say(f"starting the SuperLink on {host}:{port}")
                _superlink(procs, home, host, port, tls)
                _wait_listening(procs, host, port)
                say(f"waiting for {sites} sites to connect (at most {wait:g} seconds)")
                res = _fit(procs, home, app, home / "result.json", sites, setup, wait, round_timeout, {}, say)
                say("stopping the SuperLink")
            if not res.fitted:
                raise NotFitted(res)
            _write(Path(staging), res, setup)
    except NotFitted as e:
        return e.result
    res.out = Path(out)
    return res


@dataclass
class SiteRun:
    status: str  # finished | refused | stopped | lost (the centre or the SuperNode went away) | interrupted
    records: list[dict] = field(default_factory=list)


def site(package: Path, *, centre_address: str, ca: Path | None, audit_path: Path, config: Path | None = None,
         review: bool = False, timeout: float = 24 * 3600.0, progress: Callable[[str], None] | None = None) -> SiteRun:
    """A site of a real deployment: its SuperNode connects to the centre and answers from ``package``
    until the centre says the run is over (or the site refuses, or stops in review mode). The audit
    file is appended to, a line per message, before each is sent; it is never replaced."""
    from . import audit
    from .processes import Processes

    require_flower()
    say = progress or (lambda _m: None)
    audit_path = Path(audit_path).resolve()
    with tempfile.TemporaryDirectory(prefix="pedcomm-flower-") as tmp:
        home = Path(tmp)
        with Processes(home / "logs") as procs:
            say(f"connecting to the centre at {centre_address}")
            _supernode(procs, "supernode", home, centre_address, Path(package), audit_path, home / "work", config, review, ca)
            end = time.monotonic() + timeout
            seen = 0
            while time.monotonic() < end:
                records = audit.read(audit_path) if audit_path.exists() else []
                for r in records[seen:]:
                    say(f"sent round {r['round']} ({r['kind']}, {len(r['arrays'])} arrays): {r['status']}")
                seen = len(records)
                if records and records[-1]["status"] in ("finished", "refused", "stopped", "failed"):
                    _delivered(procs, len(records))
                    return SiteRun(records[-1]["status"], records)
                if procs.ended():
                    return SiteRun("lost", records)
                time.sleep(0.5)
            return SiteRun("lost", audit.read(audit_path) if audit_path.exists() else [])


def _delivered(procs, replies: int, timeout: float = 60.0) -> None:
    """Wait until the SuperNode says it has sent ``replies`` replies (its log), so the last one (a
    refusal, the review mode's stop) reaches the centre before the SuperNode is stopped."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and not procs.ended():
        try:
            sent = (procs.logs / "supernode.log").read_text(errors="replace").count("Sent successfully")
        except OSError:
            sent = 0
        if sent >= replies:
            time.sleep(2.0)  # the SuperLink stores it; the centre picks it up at its next look
            return
        time.sleep(0.2)
