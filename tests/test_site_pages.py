"""What leaves a site and what the coordinating centre sees (issue 17): the summary's HTML rendering,
the dashboard across sites, and the three HTML pages opened in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pedcomm.cli import app

from . import mistakes

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / ".docs-artifacts" / "screenshots" / "issue17"


@pytest.fixture(scope="module")
def centre(synthetic_sites, tmp_path_factory) -> dict:
    """What four sites send: a JSON validation report each (SITE3's package with two mistakes) and a summary each."""
    work = tmp_path_factory.mktemp("centre")
    sent = {"reports": [], "summaries": []}
    for site in synthetic_sites:
        pkg = site
        if site.name == "SITE3":  # a site whose export went through a spreadsheet
            pkg = work / "SITE3-edited"
            shutil.copytree(site, pkg)
            p = pkg / "data" / "survey_clinicians.csv"
            p.write_text(p.read_text().replace("years_in_practice", "YearsInPractice", 1))
            p = pkg / "data" / "survey_parents.csv"
            lines = p.read_text().splitlines(keepends=True)
            lines[2] = lines[2].replace(",female,", ",Female,").replace(",male,", ",Male,")
            p.write_text("".join(lines))
        report = work / f"{site.name}.json"
        r = runner.invoke(app, ["validate", str(pkg), "--format", "json", "--output", str(report), "--timestamp"])
        assert r.exit_code == (1 if site.name == "SITE3" else 0), r.output
        sent["reports"].append(report)
        summary = work / f"{site.name}.summary.json"
        r = runner.invoke(app, ["summarize", str(site), "--out", str(summary)])
        assert r.exit_code == 0, r.output
        sent["summaries"].append(summary)
    dash = work / "dashboard.html"
    r = runner.invoke(app, ["dashboard", *map(str, sent["reports"] + sent["summaries"]), "--out", str(dash)])
    assert r.exit_code == 0, r.output
    sent["dashboard"] = dash
    sent["work"] = work
    return sent


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_summary_page_renders_exactly_the_json_it_shares(centre):
    summary = centre["summaries"][0]
    page = summary.with_suffix(".html")
    assert page.is_file()
    html = page.read_text(encoding="utf-8")
    data = json.loads(summary.read_text(encoding="utf-8"))
    # the file itself, verbatim
    pre = re.search(r"<pre[^>]*>(.*)</pre>", html, re.S).group(1)
    assert unescape(pre) == summary.read_text(encoding="utf-8")
    # every suppressed count is marked, as many as the JSON holds nulls in its tables
    nulls = sum(json.dumps(t["cells"]).count("null") + json.dumps(t.get("row_totals", [])).count("null")
                + json.dumps(t.get("column_totals", [])).count("null") + (t.get("total", 0) is None)
                for t in data["tables"])
    assert nulls > 0 and html.count('class="suppressed"') == nulls
    text = _text(html)
    assert data["disclosure"]["rule"] in text
    for t in data["tables"]:
        assert t["title"] in text
    # every shared coefficient as an odds ratio: the parent model's parent_male term, from the JSON
    m = data["models"][0]
    k = m["terms"].index("parent_male")
    import math

    assert f"{math.exp(m['coef'][k]):.2f}" in text and f"{math.sqrt(m['cov'][k][k]):.3f}" in text
    assert "<script" not in html


def test_summary_refuses_an_html_out(tmp_path, synthetic_sites):
    r = runner.invoke(app, ["summarize", str(synthetic_sites[0]), "--out", str(tmp_path / "s.html")])
    assert r.exit_code == 2 and "OPTION_INVALID" in r.output and not (tmp_path / "s.html").exists()


def test_dashboard_shows_sites_by_checks_completeness_and_pooled_estimates(centre):
    html = centre["dashboard"].read_text(encoding="utf-8")
    text = _text(html)
    assert "1 SITE WITH ERRORS" in text and "3 sites valid" in text
    for site in ("SITE1", "SITE2", "SITE3", "SITE4"):
        assert site in text
    # the sites table: SITE3 invalid with its counts from its own report
    rep3 = json.loads(centre["reports"][2].read_text())
    row = re.search(r"<tr><td>SITE3</td>(.*?)</tr>", html).group(1)
    assert "INVALID" in row and f'<td class="num">{rep3["errors"]}</td>' in row and rep3["validated_at"] in row
    # sites by checks: the codes SITE3 failed, and only SITE3 failing them
    checks = html[html.index("Sites by checks"):html.index("Completeness by table")]
    assert "COLUMN_MISSING" in checks and "CELL_ENUM" in checks
    enum_row = re.search(r"<tr><td><code>CELL_ENUM</code>.*?</tr>", checks).group(0)
    assert enum_row.count(">passed<") == 3 and ">1 error<" in enum_row
    # completeness: SITE3's clinicians lack a column: 4 of 5 columns filled = 80.0%
    comp = html[html.index("Completeness by table"):]
    clin = re.search(r"<tr><td>survey_clinicians</td>.*?</tr>", comp).group(0)
    assert "80.0%" in clin
    # pooled estimates: the same numbers `pedcomm meta` computes from the same summaries
    from pedcomm.sites.meta import load, pool_models
    from pedcomm.validation.report import Report

    est, _ = pool_models(load(centre["summaries"], Report()))
    first = est.dropna(subset=["odds_ratio"]).iloc[0]
    assert f"{first['odds_ratio']:.2f} ({first['ci_lower']:.2f} to {first['ci_upper']:.2f})" in text


def test_dashboard_leaves_out_what_is_not_a_report(centre, tmp_path):
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": "world"}')
    out = tmp_path / "d.html"
    r = runner.invoke(app, ["dashboard", str(centre["reports"][0]), str(bad), str(tmp_path / "missing.json"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert r.output.count("DASHBOARD_INPUT_UNREADABLE") == 2
    text = _text(out.read_text())
    assert "Files not used" in text and "notes.json" in text and "missing.json" in text
    assert "ALL SITES VALID" in text
    # an output onto an input is refused
    r = runner.invoke(app, ["dashboard", str(centre["reports"][0]), "--out", str(centre["reports"][0])])
    assert r.exit_code == 2 and "OUTPUT_" in r.output


def test_a_dashboard_of_nothing_readable_is_refused_and_not_written(tmp_path):
    """A wrong path (the usual slip) must not give an empty page that looks like a result."""
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": "world"}')
    out = tmp_path / "d.html"
    r = runner.invoke(app, ["dashboard", str(bad), str(tmp_path / "missing.json"), "--out", str(out)])
    assert r.exit_code == 1, r.output
    assert r.output.count("DASHBOARD_INPUT_UNREADABLE") == 2 and "nothing was written" in r.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["notes.json"]


def test_dashboard_is_byte_identical_for_the_same_inputs(centre, tmp_path):
    out = tmp_path / "again.html"
    runner.invoke(app, ["dashboard", *map(str, centre["reports"] + centre["summaries"]), "--out", str(out)])
    assert out.read_bytes() == centre["dashboard"].read_bytes()


def test_pages_open_in_chromium_without_errors(centre, tmp_path):
    """The HTML report, the summary page and the dashboard in headless Chromium: no console error, the
    verdict on screen; screenshots kept in .docs-artifacts/screenshots/issue17/."""
    from .test_docs_site import require_chromium

    require_chromium()
    from pedcomm.docsgen.browser import check_pages

    root = tmp_path / "pages"
    root.mkdir()
    pkg = mistakes.build(tmp_path / "mistakes")
    r = runner.invoke(app, ["validate", str(pkg), "--format", "html", "--output", str(root / "report.html")])
    assert r.exit_code == 1
    shutil.copy(centre["summaries"][0].with_suffix(".html"), root / "summary.html")
    shutil.copy(centre["dashboard"], root / "dashboard.html")
    results = check_pages(root, SCREENSHOTS, {"report.html": ["foreign_key", "cell_enum"], "summary.html": [],
                                              "dashboard.html": []}, size=(1280, 1400))
    for res in results:
        assert res.errors == [] and res.missing_ids == [], (res.path, res.errors, res.missing_ids)
        assert res.screenshot.is_file() and res.screenshot.stat().st_size > 20_000
    assert [r.title for r in results] == ["pedcomm validation report: invalid", "Site summary of SITE1",
                                         "pedcomm coordinating-centre dashboard"]


# -- on a phone: 390 px wide, nothing wider than the screen, nothing only on hover --------------------------

PHONE = (390, 844)


def test_pages_fit_a_phone_screen_and_need_no_hover(centre, tmp_path):
    """At 390 px the validation report (with its REDCap source column), the summary and the dashboard are
    390 px wide: their tables scroll inside their own box, and no information waits behind a hover."""
    from .test_docs_site import require_chromium

    require_chromium()
    from pedcomm.docsgen.browser import check_pages

    root = tmp_path / "phone"
    root.mkdir()
    work = tmp_path / "site"
    assert runner.invoke(app, ["init", "--site", "SITE1", "--name", "Example", "--out", str(work / "my-site")]).exit_code == 0
    first_try = Path(__file__).resolve().parents[1] / "docs/examples/redcap-export-first-try.csv"
    r = runner.invoke(app, ["redcap", "import", str(first_try), "--package", str(work / "my-site"), "--out", str(work / "pkg")])
    assert r.exit_code == 1, r.output
    r = runner.invoke(app, ["validate", str(work / "pkg"), "--format", "html", "--output", str(root / "report.html")])
    assert r.exit_code == 1
    assert "In the source file" in (root / "report.html").read_text()
    shutil.copy(centre["summaries"][0].with_suffix(".html"), root / "summary.html")
    shutil.copy(centre["dashboard"], root / "dashboard.html")
    results = check_pages(root, SCREENSHOTS.parent / "issue25-phone",
                          {"report.html": ["cell_range"], "summary.html": [], "dashboard.html": []}, size=PHONE, mobile=True)
    for res in results:
        assert res.errors == [] and res.missing_ids == [], (res.path, res.errors, res.missing_ids)
        assert res.width <= PHONE[0], (res.path, res.width)
        assert res.hover_only == [], (res.path, res.hover_only)


def test_the_html_report_carries_its_date(tmp_path, monkeypatch):
    from pedcomm.validation.conformance import SUITE

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764754200")  # 2025-12-03 09:30 UTC: a dated report, still reproducible
    for fmt, name in (("html", "r.html"), ("markdown", "r.md")):
        r = runner.invoke(app, ["validate", str(SUITE / "valid"), "--format", fmt, "--output", str(tmp_path / name)])
        assert r.exit_code == 0, r.output
        assert "validated 2025-12-03 09:30 UTC" in _text((tmp_path / name).read_text())
    again = tmp_path / "again.html"
    runner.invoke(app, ["validate", str(SUITE / "valid"), "--format", "html", "--output", str(again)])
    assert again.read_bytes() == (tmp_path / "r.html").read_bytes()
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    r = runner.invoke(app, ["validate", str(SUITE / "valid"), "--format", "json"])
    assert "validated_at" not in json.loads(r.stdout)  # JSON stays byte-identical unless --timestamp


def test_a_site_that_sends_two_reports_is_one_row_with_the_older_one_listed(centre, tmp_path):
    """SITE3 fixed its data and sent a new report: one site, its latest report, the first one listed below."""
    fixed = tmp_path / "SITE3-fixed.json"
    site3 = next(s for s in centre["summaries"] if s.name.startswith("SITE3")).parent
    pkg = next(p for p in centre["work"].parent.parent.rglob("SITE3") if (p / "datapackage.json").is_file())
    r = runner.invoke(app, ["validate", str(pkg), "--format", "json", "--output", str(fixed), "--timestamp"])
    assert r.exit_code == 0, r.output
    assert site3.is_dir()
    out = tmp_path / "d.html"
    r = runner.invoke(app, ["dashboard", *map(str, centre["reports"]), str(fixed), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "Wrote the dashboard of 4 sites (0 with errors)" in " ".join(r.output.split())
    html = out.read_text()
    sites = html[html.index("<h2>Sites</h2>"):html.index("Earlier reports")]
    assert sites.count("<tr><td>SITE3</td>") == 1 and "SITE3-fixed.json" in sites and "VALID" in sites
    earlier = html[html.index("Earlier reports"):html.index("Sites by checks")]
    assert earlier.count("<tr><td>") == 1 and "SITE3.json" in earlier and "INVALID" in earlier
    assert "ALL SITES VALID" in _text(html)
