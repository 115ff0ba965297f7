"""Federated one-stage fits: the sites' sums give the pooled fit; the guards, the audit, the processes.

The arithmetic is checked in one process (pedcomm.federated.local) against statsmodels on the
pooled rows (pedcomm.analysis.models.fit_logistic, through the study's own fit and one_stage), for
every estimator, clustering and correction. The tests marked ``federated`` start the real Flower
processes (a SuperLink and SuperNodes on 127.0.0.1, free ports): three synthetic sites equal to
`pedcomm reproduce` of their pooled package, a killed site, a site too small, and the centre and
site commands over TLS with a CA made here.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pedcomm.federated import centre
from pedcomm.federated.guards import Disclosive, Guards, outgoing
from pedcomm.federated.local import LocalTransport
from pedcomm.federated.site import Site
from pedcomm.validation.config import ConfigError

from .conftest import REPO

PEDCOMM = str(Path(sys.executable).parent / "pedcomm")
SITES = ("SITE1", "SITE2", "SITE3")


def _cli(*args, cwd=None, timeout=900) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([PEDCOMM, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    """Three synthetic survey sites, their pooled package and its validated tables."""
    from pedcomm.validation.run import validate

    root = tmp_path_factory.mktemp("federation")
    r = _cli("synth", "survey", "--sites", 3, "--out", root / "sites")
    assert r.returncode == 0, r.stderr
    r = _cli("pool", *[root / "sites" / s for s in SITES], "--out", root / "pooled")
    assert r.returncode == 0, r.stderr
    return {"root": root, "sites": [root / "sites" / s for s in SITES], "pooled": root / "pooled",
            "tables": validate(root / "pooled").tables}


def _sites(federation, tmp_path, guards=None):
    out = []
    for i, p in enumerate(federation["sites"]):
        (tmp_path / f"work{i}").mkdir(exist_ok=True)
        out.append(Site(p, guards or Guards.defaults(), work=tmp_path / f"work{i}", audit_path=tmp_path / f"audit{i}.jsonl"))
    return out


@pytest.mark.parametrize("method,cluster,correction", [
    (None, None, None),  # the default: GEE, exchangeable within clinicians, two-way clinician+parent, Mancl-DeRouen
    ("glm_cluster", None, None),  # GLM, two-way, Mancl-DeRouen
    ("glm_cluster", "clinician", "none"),  # GLM, one-way with statsmodels' finite-sample factor
    ("gee", "parent", "bias_reduced"),  # one-way bias-reduced: statsmodels' own cov_robust_bc
])
def test_sums_of_the_sites_give_the_pooled_fit(federation, tmp_path, method, cluster, correction):
    from pedcomm.studies.survey.analysis.design import analysis_frame
    from pedcomm.studies.survey.analysis.models import ModelSettings, fit

    sites = _sites(federation, tmp_path)
    out = centre.run(LocalTransport(), sites, {"method": method, "cluster": cluster, "correction": correction})
    assert [f.code for f in out.report.findings] == []
    settings = ModelSettings.from_config(method, cluster, correction)
    frame = analysis_frame(federation["tables"])
    assert [m.name for m in out.fitted] == ["parent", "clinician"]
    for m in out.fitted:
        pooled = fit(frame, m.name, settings)  # statsmodels on the pooled rows
        assert m.terms == pooled.terms
        np.testing.assert_allclose(m.coef, pooled.coef, rtol=0, atol=1e-9)
        np.testing.assert_allclose(m.se, pooled.se, rtol=0, atol=1e-9)
        assert (m.n_relationships, m.n_parents, m.n_clinicians, m.events) == \
            (pooled.n_relationships, pooled.n_parents, pooled.n_clinicians, pooled.events)
        assert m.n_clusters == pooled.n_clusters
        if pooled.dependence is not None:
            assert abs(m.dependence - pooled.dependence) < 1e-9
    # nothing but sums left the sites: every array audited is k, k x k or one of the fixed small sizes
    for i, s in enumerate(sites):
        for line in (tmp_path / f"audit{i}.jsonl").read_text().splitlines():
            for a in json.loads(line)["arrays"]:
                assert max(a["shape"]) <= 10 and len(a["sha256"]) == 64


def test_fixed_site_effects_give_the_one_stage_fit(federation, tmp_path):
    from pedcomm.studies.survey.onestage import one_stage

    out = centre.run(LocalTransport(), _sites(federation, tmp_path), {"site_effects": "fixed"})
    reference = one_stage(federation["tables"])  # meta --one-stage: the site-adjusted fit on pooled rows
    compared = 0
    for m in out.fitted:
        assert m.terms[-2:] == ["site_SITE2", "site_SITE3"]
        for j, term in enumerate(m.terms):
            row = reference[(reference["model"] == m.name) & (reference["term"] == term)]
            if len(row):
                assert abs(row["log_or"].iloc[0] - m.coef[j]) < 1e-9 and abs(row["se"].iloc[0] - m.se[j]) < 1e-9
                compared += 1
    assert compared == len(reference) == 17


def test_a_site_lost_mid_fit_stops_it_with_nothing_fitted(federation, tmp_path):
    out = centre.run(LocalTransport(lose={"SITE3": 3}), _sites(federation, tmp_path), {})
    assert [f.code for f in out.report.findings] == ["FEDERATED_SITE_LOST"]
    assert "SITE3" in out.report.findings[0].message and out.fitted == []


def test_review_mode_answers_round_one_then_stops(federation, tmp_path):
    sites = _sites(federation, tmp_path)
    sites[0].review = True
    out = centre.run(LocalTransport(), sites, {})
    assert [f.code for f in out.report.findings] == ["FEDERATED_SITE_LOST"]
    assert "review mode" in out.report.findings[0].message and out.fitted == []
    lines = [json.loads(x) for x in (tmp_path / "audit0.jsonl").read_text().splitlines()]
    assert [(x["round"], x["status"]) for x in lines] == [(0, "ok"), (1, "ok"), (2, "stopped")]
    assert {a["name"] for a in lines[1]["arrays"]} == {"xwx", "xwz", "deviance"}


def test_guards_may_be_stricter_never_looser():
    d = Guards.defaults()
    assert (d.min_relationships, d.max_parameter_share, d.min_cell) == (20, 0.33, 5)  # DataSHIELD: 3 and 0.33
    assert Guards.from_config({"min_cell": 11, "max_parameter_share": 0.2}).min_cell == 11
    for loose in ({"min_cell": 3}, {"max_parameter_share": 0.5}, {"min_relationships": 5}, {"min_cell": "ten"},
                  {"nfilter": 3}, [1]):
        with pytest.raises(ConfigError):
            Guards.from_config(loose)


def test_no_array_of_another_size_leaves_a_site():
    with pytest.raises(Disclosive):
        outgoing({"parent": {"score": np.zeros(413)}}, {"parent": 9})  # a per-row vector
    with pytest.raises(Disclosive):
        outgoing({"parent": {"score": np.full(9, np.nan)}}, {"parent": 9})
    outgoing({"parent": {"score": np.zeros(9), "bread": np.zeros((9, 9)), "moments": np.zeros(4)}}, {"parent": 9})


# -- the real processes ------------------------------------------------------------------------

def _flower_processes() -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z" and (b"flower-super" in cmd or b"flwr-" in cmd or b"flwr run" in cmd):
                out.add(int(entry.name))
    return out


@pytest.fixture
def no_leftovers():
    before = _flower_processes()
    yield
    end = time.monotonic() + 15
    while _flower_processes() - before and time.monotonic() < end:
        time.sleep(0.5)
    assert _flower_processes() - before == set(), "Flower processes were left running"


@pytest.mark.federated
def test_rehearsal_of_three_sites_equals_reproduce_of_the_pooled_package(federation, tmp_path, no_leftovers):
    r = _cli("federated", "rehearse", *federation["sites"], "--out", tmp_path / "fed")
    assert r.returncode == 0, r.stdout + r.stderr
    r = _cli("reproduce", federation["pooled"], "--out", tmp_path / "repro")
    assert r.returncode == 0, r.stderr
    fed = pd.read_csv(tmp_path / "fed" / "federated_models.csv")
    ref = pd.read_csv(tmp_path / "repro" / "survey_models.csv")
    assert list(fed.columns) == list(ref.columns) and len(fed) == len(ref) == 19
    for col in ("log_or", "se", "odds_ratio", "ci_lower", "ci_upper"):
        assert (fed[col] - ref[col]).abs().max() <= 1.01e-6, col
    assert fed[["model", "term", "n_relationships", "events", "clusters"]].equals(
        ref[["model", "term", "n_relationships", "events", "clusters"]])
    sites = pd.read_csv(tmp_path / "fed" / "federated_sites.csv")
    assert sites["site"].tolist() == list(SITES) and set(sites["status"]) == {"taking part"}
    for s in SITES:
        lines = [json.loads(x) for x in (tmp_path / "fed" / f"audit-{s}.jsonl").read_text().splitlines()]
        assert lines[0]["kind"] == "describe" and lines[-1]["status"] == "finished"
        assert all(max(a["shape"]) <= 10 for x in lines for a in x["arrays"])


@pytest.mark.federated
def test_a_killed_site_stops_the_rehearsal_with_nothing_written(federation, tmp_path, no_leftovers):
    out = tmp_path / "fed"
    proc = subprocess.Popen([PEDCOMM, "federated", "rehearse", *map(str, federation["sites"]), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim = None
    end = time.monotonic() + 300
    while victim is None and time.monotonic() < end and proc.poll() is None:
        audits = list(tmp_path.glob(".fed.pedcomm-tmp-*/audit-SITE2.jsonl"))
        if audits and len(audits[0].read_text().splitlines()) >= 2:  # SITE2 has answered round 1
            for pid in _flower_processes():
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                if b"flower-supernode" in cmd and str(federation["sites"][1]).encode() in cmd:
                    victim = pid
        time.sleep(0.2)
    assert victim is not None, "SITE2's SuperNode was not found mid-fit"
    os.kill(victim, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stdout + stderr
    assert "FEDERATED_SITE_LOST" in stdout and "SITE2" in stdout
    assert not out.exists() and list(tmp_path.glob(".fed*")) == [] or all(p.name.endswith("lock") for p in tmp_path.glob(".fed*"))


@pytest.mark.federated
def test_a_site_too_small_is_refused(federation, tmp_path, no_leftovers):
    small = REPO / "validation" / "conformance" / "valid"  # 3 relationships
    r = _cli("federated", "rehearse", small, federation["sites"][0], "--out", tmp_path / "fed", timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FEDERATED_SITE_TOO_SMALL" in r.stdout and "'S1'" in r.stdout and "FEDERATED_SITES_TOO_FEW" in r.stdout
    assert not (tmp_path / "fed").exists()


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A self-signed CA and a server certificate for 127.0.0.1 and localhost, made with cryptography."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pedcomm test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / "server.pem", folder / "server.key", folder / "ca.pem"
    paths[0].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    paths[2].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return paths


@pytest.mark.federated
def test_centre_and_sites_over_tls_in_review_mode(federation, tmp_path, no_leftovers):
    from pedcomm.federated.processes import free_port

    cert, key, ca = _certificates(tmp_path)
    port = free_port()
    centre_proc = subprocess.Popen([PEDCOMM, "federated", "centre", "--out", str(tmp_path / "fed"), "--sites", "2",
                                    "--host", "127.0.0.1", "--port", str(port), "--certificate", str(cert), "--key",
                                    str(key), "--ca", str(ca), "--wait", "120"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sites = [subprocess.Popen([PEDCOMM, "federated", "site", str(federation["sites"][i]), "--centre", f"127.0.0.1:{port}",
                               "--ca", str(ca), "--audit", str(tmp_path / f"audit{i}.jsonl"), "--review"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in (0, 1)]
    try:
        outs = [s.communicate(timeout=300) for s in sites]
        stdout, stderr = centre_proc.communicate(timeout=300)
    finally:
        for p in (centre_proc, *sites):
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
                p.wait(timeout=60)
    for s, (o, e) in zip(sites, outs):
        assert s.returncode == 0 and "Review mode: stopped after round 1" in e, o + e
    assert centre_proc.returncode == 1, stdout + stderr
    assert "FEDERATED_SITE_LOST" in stdout and "review mode" in stdout
    assert not (tmp_path / "fed").exists()
    lines = [json.loads(x) for x in (tmp_path / "audit0.jsonl").read_text().splitlines()]
    assert [(x["round"], x["kind"], x["status"]) for x in lines] == [(0, "describe", "ok"), (1, "fit", "ok"),
                                                                     (2, "fit", "stopped")]


def test_insecure_is_warned_and_tls_files_are_required(tmp_path):
    r = _cli("federated", "site", REPO / "validation" / "conformance" / "valid", "--centre", "127.0.0.1:1",
             "--audit", tmp_path / "a.jsonl")
    assert r.returncode == 2 and "OPTION_INVALID" in r.stdout + r.stderr and "--ca" in r.stdout + r.stderr
    r = _cli("federated", "centre", "--out", tmp_path / "o", "--sites", 2, "--certificate", tmp_path / "missing.pem")
    assert r.returncode == 2 and "OPTION_INVALID" in r.stdout + r.stderr


@pytest.mark.federated
def test_ctrl_c_stops_every_process_and_writes_nothing(federation, tmp_path, no_leftovers):
    proc = subprocess.Popen([PEDCOMM, "federated", "rehearse", *map(str, federation["sites"][:2]), "--out", str(tmp_path / "fed")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 300
    while time.monotonic() < end and proc.poll() is None:
        audits = list(tmp_path.glob(".fed.pedcomm-tmp-*/audit-SITE1.jsonl"))
        if audits and audits[0].read_text().count("\n") >= 2:  # in the middle of the fit
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGINT, stdout + stderr
    assert not (tmp_path / "fed").exists() and list(tmp_path.glob(".fed.pedcomm-tmp-*")) == []


def test_a_wrong_package_path_is_refused_before_any_process_starts(tmp_path):
    r = _cli("federated", "rehearse", tmp_path / "nowhere", "--out", tmp_path / "fed")
    assert r.returncode == 2 and "OPTION_INVALID" in r.stdout + r.stderr and "nowhere" in r.stdout + r.stderr
    assert not (tmp_path / "fed").exists()


def _drive(parts, plan, bound=10.0):
    """Run fit_model over sites given as (X, y, working clusters, groupings) with the sites' own sums."""
    from pedcomm.federated import aggregates
    from pedcomm.federated.iterate import fit_model

    n, k = sum(len(p[1]) for p in parts), parts[0][0].shape[1]
    gen = fit_model(plan, n, k, bound)
    kind, arrays = next(gen)
    while True:
        answers = []
        for X, y, working, groupings in parts:
            if kind == "irls":
                answers.append(aggregates.irls(X, y, arrays.get("beta")))
            elif kind == "gee":
                answers.append(aggregates.gee_step(X, y, working, arrays["beta"], float(arrays["alpha"][0])))
            elif kind == "moments":
                answers.append(aggregates.moments(X, y, working, arrays["beta"]))
            else:
                answers.append(aggregates.meats(X, y, working, groupings, arrays["beta"], float(arrays["alpha"][0]),
                                                arrays["bread_inv"], plan.correction == "bias_reduced"))
        try:
            kind, arrays = gen.send({name: sum(a[name] for a in answers) for name in answers[0]})
        except StopIteration as done:
            return done.value


def test_a_separated_model_is_refused_not_fitted():
    from pedcomm.federated.iterate import NotEstimable, Plan

    rng = np.random.default_rng(7)
    parts = []
    for _ in range(2):
        x = rng.integers(0, 2, 60).astype(float)
        z = rng.normal(size=60)
        y = x.copy()  # x predicts the outcome perfectly: complete separation
        g = np.repeat(np.arange(12), 5)
        parts.append((np.column_stack([np.ones(60), x, z]), y, g, [g]))
    with pytest.raises(NotEstimable, match="separated"):
        _drive(parts, Plan("gee", "exchangeable", "bias_reduced", 1))
    y_ok = [rng.integers(0, 2, 60).astype(float) for _ in parts]  # the same design without separation is fitted
    est = _drive([(X, y, g, gs) for (X, _, g, gs), y in zip(parts, y_ok)], Plan("gee", "exchangeable", "bias_reduced", 1))
    assert np.all(np.abs(est.coef) < 3) and np.all(np.isfinite(est.cov))


def test_a_refusal_names_the_guard_and_the_cells_never_a_count():
    from pedcomm.federated.guards import check_model

    X = np.column_stack([np.ones(40), np.r_[np.ones(2), np.zeros(38)], np.r_[np.ones(20), np.zeros(20)]])
    y = np.r_[np.ones(1), np.zeros(19), np.ones(10), np.zeros(10)]
    found = check_model("parent", X, y, ["const", "race_black", "anxiety"], Guards.defaults())
    assert [code for code, _ in found] == ["FEDERATED_SITE_SMALL_CELL"]
    detail = found[0][1]
    assert "race_black = 1 with the outcome" in detail and "race_black = 1;" in detail
    assert not any(ch.isdigit() for ch in detail.split(": ", 1)[1].replace("= 1", "").replace("= 0", ""))
    small = check_model("parent", X[:12], y[:12], ["const", "race_black", "anxiety"], Guards.defaults())
    assert small == [("FEDERATED_SITE_TOO_SMALL", "the parent model has fewer relationships than the minimum of 20")]


def test_a_looser_guard_in_site_yaml_is_refused_before_any_process_starts(federation, tmp_path):
    loose = tmp_path / "site.yaml"
    loose.write_text("federated:\n  min_cell: 2\n")
    r = _cli("federated", "rehearse", *federation["sites"][:2], "--config", loose, "--config", loose, "--out", tmp_path / "fed")
    assert r.returncode == 2 and "SITE_CONFIG_INVALID" in r.stdout and "min_cell is 2" in r.stdout
    assert not (tmp_path / "fed").exists()
