"""`pedcomm pool` and `pedcomm synth ... --sites`: four synthetic sites, one corrupted, then fixed."""

import hashlib
import json
import shutil

import pandas as pd
from typer.testing import CliRunner

from pedcomm import __version__, standard
from pedcomm.cli import app
from pedcomm.sites.pool import id_fields, pool, prefix
from pedcomm.validation.run import validate

runner = CliRunner()
SITES = ["SITE1", "SITE2", "SITE3", "SITE4"]


def copy_sites(sites, dest):
    dest.mkdir()
    for s in sites:
        shutil.copytree(s, dest / s.name)
    return [dest / s.name for s in sites]


def rows(folder, name):
    return pd.read_csv(folder / "data" / f"{name}.csv", dtype=str, keep_default_na=False)


# -- the synthetic sites --------------------------------------------------------------------------

def test_sites_are_valid_declare_their_ids_and_differ(synthetic_sites):
    assert [s.name for s in synthetic_sites] == SITES
    race, rates = [], []
    for s in synthetic_sites:
        v = validate(s)
        assert v.report.status == "valid" and v.report.totals()["warning"] == 0, s
        assert json.loads((s / "datapackage.json").read_text())["pedcomm"]["site"] == s.name
        parents, rel = rows(s, "survey_parents"), rows(s, "survey_relationships")
        assert set(parents["site_id"]) == {s.name} and 150 < len(rel) < 700
        race.append(parents["race_ethnicity"].value_counts(normalize=True).get("hispanic", 0))
        paired = rel[rel["clinician_report"] == "true"]
        rates.append((paired["parent_challenging"] == "true").mean())
    assert max(race) - min(race) > 0.03 and max(rates) - min(rates) > 0.03  # sites differ


def test_sites_are_reproducible(synthetic_sites, tmp_path):
    r = runner.invoke(app, ["synth", "survey", "--sites", "2", "--seed", "2021", "--out", str(tmp_path / "again")])
    assert r.exit_code == 0, r.output
    for name in ("datapackage.json", "data/survey_responses.csv"):
        assert (tmp_path / "again/SITE2" / name).read_bytes() == (synthetic_sites[1] / name).read_bytes()


# -- pooling: the done criterion ------------------------------------------------------------------

def test_a_corrupted_site_stops_the_pool_and_is_named(synthetic_sites, tmp_path):
    sites = copy_sites(synthetic_sites, tmp_path / "sites")
    rel = sites[2] / "data/survey_relationships.csv"
    good = rel.read_text()
    frame = rows(sites[2], "survey_relationships")
    frame.loc[3, "clinician_id"] = "K999"  # file row 5: a clinician the site does not have
    frame.to_csv(rel, index=False, lineterminator="\n")
    out = tmp_path / "pooled"
    r = runner.invoke(app, ["pool", *map(str, sites), "--out", str(out)])
    assert r.exit_code == 1
    assert "SITE3" in r.stdout and "FOREIGN_KEY" in r.stdout and "K999" in r.stdout and "POOL_SITE_INVALID" in r.stdout
    assert "Findings of site SITE3" in r.stdout and "Findings of site SITE1" not in r.stdout
    assert not out.exists() and not any(p.name.startswith(".pooled") for p in tmp_path.iterdir())
    rel.write_text(good)  # the site fixes its package
    r = runner.invoke(app, ["pool", *map(str, sites), "--out", str(out)])
    assert r.exit_code == 0, r.stdout
    assert validate(out).report.status == "valid"


def test_pooled_package_validates_and_records_its_sources(synthetic_sites, pooled_sites):
    out = pooled_sites.out
    report = validate(out).report
    assert report.status == "valid" and report.totals()["warning"] == 0
    desc = json.loads((out / "datapackage.json").read_text())
    assert desc["pedcomm"]["sites"] == SITES and desc["pedcomm"]["schemaVersion"] == standard.descriptor()["version"]
    assert desc["pedcomm"]["pooledWith"] == {"tool": "pedcomm", "version": __version__, "schema_version": standard.version()}
    assert "synthetic data" in desc["keywords"]
    for src, folder in zip(desc["pedcomm"]["sources"], synthetic_sites):
        assert src["site"] == folder.name and src["validation"]["status"] == "valid"
        files = {f["path"]: f["sha256"] for f in src["files"]}
        assert set(files) == {"datapackage.json", *(f"data/{p.name}" for p in (folder / "data").glob("*.csv"))}
        for path, digest in files.items():
            assert hashlib.sha256((folder / path).read_bytes()).hexdigest() == digest


def test_identifiers_are_prefixed_and_definitions_pooled_once(synthetic_sites, pooled_sites):
    out = pooled_sites.out
    for name in standard.resource_names("survey"):
        pooled = rows(out, name)
        if name == "survey_items":
            assert pooled.equals(rows(synthetic_sites[0], name))  # shared: once, unprefixed
            continue
        assert len(pooled) == sum(len(rows(s, name)) for s in synthetic_sites), name
        for col in id_fields(name):
            site = pooled[col].str.split("-").str[0]
            assert site.isin(SITES).all(), (name, col)
    assert rows(out, "survey_parents")["parent_id"].is_unique
    assert "item_id" not in id_fields("survey_responses") and "code_id" not in id_fields("coding_segments")
    assert prefix(pd.Series(["P1", "S1-P1", "S1", ""]), "S1").tolist() == ["S1-P1", "S1-P1", "S1", ""]


def test_reproduce_runs_on_the_pooled_package_and_refuses_site_as_cluster(pooled_sites, tmp_path):
    """Clustered by clinician the pooled package reproduces; clustered by its 4 sites it is refused
    (CLUSTERS_TOO_FEW, since issue 15: a sandwich from 4 clusters is not a usable covariance)."""
    clinicians = rows(pooled_sites.out, "survey_clinicians")["clinician_id"].nunique()
    r = runner.invoke(app, ["reproduce", str(pooled_sites.out), "--out", str(tmp_path / "clinician"), "--cluster", "clinician"])
    assert r.exit_code == 0, r.output
    models = pd.read_csv(tmp_path / "clinician" / "survey_models.csv")
    assert models["n_clusters"].isin(range(50, clinicians + 1)).all()
    assert (models["n_relationships"] > 1000).all()
    r = runner.invoke(app, ["reproduce", str(pooled_sites.out), "--out", str(tmp_path / "site"), "--cluster", "site"])
    assert r.exit_code == 1 and "CLUSTERS_TOO_FEW" in r.output and "leaves 4 clusters" in r.output
    assert not (tmp_path / "site").exists()


# -- refusals -------------------------------------------------------------------------------------

def _declare(folder, **kw):
    p = folder / "datapackage.json"
    d = json.loads(p.read_text())
    d["pedcomm"].update(kw)
    p.write_text(json.dumps(d, indent=2))


def test_major_versions_are_refused_and_minor_ones_warned(synthetic_sites, tmp_path):
    sites = copy_sites(synthetic_sites[:2], tmp_path / "sites")
    _declare(sites[1], schemaVersion="1.0.0")
    refused = pool(sites, tmp_path / "a")
    assert refused.out is None and not (tmp_path / "a").exists()
    assert {"SCHEMA_VERSION_INCOMPATIBLE", "POOL_SITE_INVALID"} <= refused.report.codes()
    _declare(sites[1], schemaVersion="0.0.9")  # an older minor version: compatible
    warned = pool(sites, tmp_path / "b")
    assert warned.out is not None and warned.report.codes() == {"SCHEMA_VERSION_DIFFERS"}
    assert warned.report.findings[0].field == "SITE2"


def test_existing_output_needs_force_and_force_replaces_only_pedcomm_outputs(pooled_sites, synthetic_sites, tmp_path):
    """Issue 16: --force replaces a pooled package pedcomm wrote, never a folder holding someone's files."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    r = runner.invoke(app, ["pool", *map(str, synthetic_sites[:2]), "--out", str(out)])
    assert r.exit_code == 2 and "OUTPUT_EXISTS" in r.output and (out / "keep.txt").read_text() == "x"
    r = runner.invoke(app, ["pool", *map(str, synthetic_sites[:2]), "--out", str(out), "--force"])
    assert r.exit_code == 2 and "OUTPUT_FOREIGN" in r.output and (out / "keep.txt").read_text() == "x"
    mine = tmp_path / "mine"
    assert runner.invoke(app, ["pool", *map(str, synthetic_sites[:2]), "--out", str(mine)]).exit_code == 0
    r = runner.invoke(app, ["pool", *map(str, synthetic_sites[:3]), "--out", str(mine), "--force"])
    assert r.exit_code == 0, r.output
    assert "SITE3" in (mine / "datapackage.json").read_text()


def test_site_configurations_apply_to_their_site(synthetic_sites, tmp_path):
    sites = copy_sites(synthetic_sites[:2], tmp_path / "sites")
    sites_csv = sites[1] / "data/survey_sites.csv"
    sites_csv.write_text(sites_csv.read_text().replace("Synthetic site 2", "Dr. Alvarez Memorial Clinic"))
    assert pool(sites, tmp_path / "refused").report.codes() == {"POOL_SITE_INVALID"}
    cfg = tmp_path / "site2.yaml"
    cfg.write_text("site: SITE2\noverrides:\n  - code: TEXT_IDENTIFIER\n    severity: warning\n    resource: survey_sites\n"
                   "    justification: The clinic is named after its founder, a public figure; reviewed.\n")
    r = runner.invoke(app, ["pool", *map(str, sites), "--out", str(tmp_path / "pooled"), "--config", str(cfg)])
    assert r.exit_code == 0, r.stdout
    desc = json.loads((tmp_path / "pooled/datapackage.json").read_text())
    assert [o["code"] for o in desc["pedcomm"]["sources"][1]["validation"]["overrides"]] == ["TEXT_IDENTIFIER"]
    assert desc["pedcomm"]["sources"][0]["validation"]["overrides"] == []


def test_coding_sites_pool(tmp_path):
    r = runner.invoke(app, ["synth", "coding", "--sites", "2", "--out", str(tmp_path / "sites")])
    assert r.exit_code == 0, r.output
    outcome = pool([tmp_path / "sites/SITE1", tmp_path / "sites/SITE2"], tmp_path / "pooled")
    assert outcome.out is not None and outcome.result.report.status == "valid"
    seg = rows(tmp_path / "pooled", "coding_segments")
    assert seg["segment_id"].str.startswith(("SITE1-", "SITE2-")).all() and seg["segment_id"].is_unique
    assert len(rows(tmp_path / "pooled", "coding_codes")) == len(rows(tmp_path / "sites/SITE1", "coding_codes"))


def test_the_same_rows_under_two_site_ids_are_not_pooled(synthetic_sites, tmp_path):
    """Issue 16: SITE1 submitted again as SITE9, its files re-saved (rows reordered, Windows line
    endings): the content fingerprints match, so nothing is pooled."""
    sites = copy_sites(synthetic_sites[:2], tmp_path / "sites")
    again = tmp_path / "sites" / "SITE9"
    shutil.copytree(sites[0], again)
    _declare(again, site="SITE9")
    for name in ("survey_parents", "survey_relationships"):
        frame = rows(again, name)
        frame.iloc[::-1].to_csv(again / "data" / f"{name}.csv", index=False, lineterminator="\r\n")
    outcome = pool([*sites, again], tmp_path / "pooled")
    assert outcome.out is None and not (tmp_path / "pooled").exists()
    assert outcome.report.codes() == {"POOL_SITE_SAME_DATA"}
    assert [f.value for f in outcome.report.findings] == ["SITE1 and SITE9"]
