"""CITATION.cff, .zenodo.json, datapackage.json and pyproject.toml agree: version, licences, contributors."""

from __future__ import annotations

import json
import tomllib

import yaml

import pedcomm

from .conftest import REPO


def load():
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    zenodo = json.loads((REPO / ".zenodo.json").read_text(encoding="utf-8"))
    package = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return cff, zenodo, package, project


def test_the_tool_version_is_written_once_and_cited():
    """The tool version lives in pedcomm/_base.py; pyproject reads it; the citation files cite it."""
    cff, zenodo, package, project = load()
    assert "version" not in project and "version" in project["dynamic"]
    assert {str(cff["version"]), zenodo["version"]} == {pedcomm.__version__}


def test_the_standard_version_is_the_descriptors():
    """The standard's version is datapackage.json's; the example package's declaration follows it."""
    from pedcomm import standard

    _, _, package, _ = load()
    assert standard.version() == package["version"] == package["pedcomm"]["schemaVersion"]


def test_licences_agree():
    cff, zenodo, package, project = load()
    data_licences = [lic["name"] for lic in package["licenses"]]
    cff_licences = [cff["license"]] if isinstance(cff["license"], str) else cff["license"]
    assert cff_licences == [project["license"], *data_licences]     # code first, then schemas and data
    assert zenodo["license"] == project["license"]                 # Zenodo records one licence: the code's
    assert all(lic in zenodo["notes"] for lic in data_licences)


def test_contributors_agree():
    cff, zenodo, package, _ = load()
    creators = [c["title"] for c in package["contributors"] if {"creator", "author"} & set(c.get("roles", []))]
    cff_authors = [a.get("name") or f"{a['family-names']}, {a['given-names']}" for a in cff["authors"]]
    assert cff_authors == creators
    assert [c["name"] for c in zenodo["creators"]] == creators


def test_metadata_is_complete_and_cites_the_studies():
    cff, zenodo, _, _ = load()
    assert cff["cff-version"] == "1.2.0"
    assert {"message", "title", "authors", "version", "date-released"} <= set(cff)
    assert {"title", "upload_type", "description", "creators", "license"} <= set(zenodo)
    assert zenodo["title"] == cff["title"]
    assert sorted(r["doi"] for r in cff["references"]) == \
        sorted(r["identifier"] for r in zenodo["related_identifiers"] if r["scheme"] == "doi")
