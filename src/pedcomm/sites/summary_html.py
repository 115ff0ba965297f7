"""The site summary as a page a privacy officer can read and sign off: `summarize --out S.json`
writes ``S.html`` beside the JSON, rendering exactly what the JSON shares.

Sections: who and what (site, study, standard, tool, package hash, settings); the disclosure rule
and its threshold, with any site-configuration override; every model with its coefficients as odds
ratios, or what was withheld and why (and that the covariance matrix is shared too); every table
with its suppressed cells marked; and, last, the JSON file itself, verbatim, so that nothing shared
is left out of the page. Values come from the site's own summary and are HTML-escaped.
"""

from __future__ import annotations

import json
import math

from ..validation.report.html import badge, e, page, scrolling, table
from ..validation.words import plural


def _max_coefficient() -> float:
    """Beyond it a log odds ratio has no finite odds ratio (SUMMARY_INVALID's max_abs_coefficient)."""
    from ..validation.registry import parameter

    return float(parameter("SUMMARY_INVALID", "max_abs_coefficient"))

SUPPRESSED = '<td class="suppressed">suppressed</td>'


def _num(x, digits: int = 3) -> str:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return e(x)
    return str(x) if isinstance(x, int) else f"{x:.{digits}f}"


def _kv(d: dict) -> str:
    return table(["Item", "Value"], [[e(k), e(v if not isinstance(v, (dict, list)) else json.dumps(v))] for k, v in d.items()])


def _model(m: dict) -> list[str]:
    head = f"<h3>{badge('passed' if m.get('status') == 'shared' else 'warning', str(m.get('status', '?')))} " \
           f"{e(m.get('title') or m.get('name'))} <span class=\"muted\">({e(m.get('name'))}; outcome {e(m.get('outcome'))})</span></h3>"
    out = [head]
    if m.get("status") != "shared":
        out.append(f"<div class=\"remedy\"><strong>Withheld:</strong> {e(m.get('reason', 'no reason given'))}. "
                   "No coefficient of this model leaves the site.</div>")
        counts = {k: v for k, v in m.items() if k not in ("name", "title", "outcome", "status", "reason", "terms")}
        if counts:
            out.append("<p>Shared about it:</p>" + _kv(counts))
        return out
    terms, coef, cov = m.get("terms") or [], m.get("coef") or [], m.get("cov") or []
    rows = []
    for k, term in enumerate(terms):
        b = coef[k] if k < len(coef) else None
        v = cov[k][k] if k < len(cov) and k < len(cov[k]) else None
        se = math.sqrt(v) if isinstance(v, (int, float)) and v >= 0 else None
        odds = math.exp(b) if isinstance(b, (int, float)) and abs(b) <= _max_coefficient() else None
        rows.append([f"<code>{e(term)}</code>", _num(b), _num(se), "" if term == "const" else _num(odds, 2)])
    out.append(table(["Term", "Coefficient (log odds)", "Standard error", "Odds ratio"], rows, numeric={1, 2, 3}))
    facts = {k: v for k, v in m.items() if k not in ("name", "title", "outcome", "status", "terms", "coef", "cov")
             and v not in (None, "", [], {})}  # an empty list of warnings is no fact to share
    out.append(f"<p>Also shared: the {len(terms)}×{len(terms)} covariance matrix of the coefficients"
               + (", and " + ", ".join(f"{e(k.replace('_', ' '))} {_fact(v)}" for k, v in facts.items()) if facts else "")
               + ".</p>")
    return out


def _fact(v) -> str:
    """A shared value in words: a list as its items ('a; b'), a mapping as 'key value' pairs."""
    if isinstance(v, list):
        return "; ".join(_fact(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{e(k)} {_fact(x)}" for k, x in v.items())
    return _num(v) if isinstance(v, float) else e(v)


def _table(t: dict) -> list[str]:
    cols, rows, cells = t.get("columns") or [], t.get("rows") or [], t.get("cells") or []
    has_rt = "row_totals" in t
    header = ["", *(e(c) for c in cols), *(["total"] if has_rt else [])]
    body = []
    for i, r in enumerate(rows):
        line = [f"<th>{e(r)}</th>"]
        vals = list(cells[i]) if i < len(cells) else []
        if has_rt:
            vals.append(t["row_totals"][i] if i < len(t["row_totals"]) else None)
        line += [SUPPRESSED if v is None else f"<td class=\"num\">{e(v)}</td>" for v in vals]
        body.append("<tr>" + "".join(line) + "</tr>")
    if "column_totals" in t:
        tot = list(t["column_totals"]) + ([t.get("total")] if has_rt else [])
        body.append("<tr><th>total</th>" + "".join(SUPPRESSED if v is None else f"<td class=\"num\">{e(v)}</td>" for v in tot) + "</tr>")
    sup = t.get("suppressed") or {}
    n = (sup.get("primary") or 0) + (sup.get("complementary") or 0)
    note = (f"{plural(n, 'count')} suppressed ({sup.get('primary', 0)} below the threshold, "
            f"{sup.get('complementary', 0)} to protect them)") if n else "nothing suppressed"
    return [f"<h3>{e(t.get('title') or t.get('name'))} <span class=\"muted\">({e(t.get('name'))}, {e(t.get('unit'))}; {note})</span></h3>",
            scrolling("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr></thead><tbody>" + "".join(body) + "</tbody></table>")]


def to_html(summary: dict, text: str) -> str:
    """The page for ``summary``; ``text`` is the JSON exactly as written beside it."""
    site, study = summary.get("site"), summary.get("study")
    disclosure = summary.get("disclosure") or {}
    hidden = sum((t.get("suppressed") or {}).get("primary", 0) + (t.get("suppressed") or {}).get("complementary", 0)
                 for t in summary.get("tables", []))
    parts_keys = [k for k in ("models", "agreement") if k in summary]
    shared = sum(m.get("status") == "shared" for k in parts_keys for m in summary[k])
    withheld = sum(m.get("status") != "shared" for k in parts_keys for m in summary[k])
    out = [f"<h1>Site summary of {e(site)}: what would leave the site</h1>",
           f"<p class=\"meta\">The {e(study)} study; standard {e(summary.get('schemaVersion'))}; written by "
           f"{e((summary.get('tool') or {}).get('name'))} {e((summary.get('tool') or {}).get('version'))}. "
           "This page renders the JSON file beside it, which is the file to send.</p>",
           f"<div class=\"verdict v-valid\"><div class=\"status\">NO ROW-LEVEL DATA</div>"
           f"<p>{plural(shared, 'estimate')} shared, {plural(withheld, 'estimate')} withheld; "
           f"{plural(len(summary.get('tables', [])), 'table')} of counts, {plural(hidden, 'count')} suppressed "
           f"(threshold {e(disclosure.get('threshold'))}).</p></div>",
           "<h2>The disclosure rule</h2>",
           f"<p>{e(disclosure.get('rule'))}.</p>"
           f"<p>Threshold {e(disclosure.get('threshold'))}; zero counts {'suppressed' if disclosure.get('zeros_suppressed') else 'shown'}.</p>"]
    if disclosure.get("overrides"):
        out.append("<p><strong>Site configuration overrides in force:</strong></p>")
        out.append(table(["Code", "Scope", "From", "To", "Justification"],
                         [[e(o.get(k)) for k in ("code", "scope", "from", "to", "justification")] for o in disclosure["overrides"]]))
    out.append("<h2>Where it comes from</h2>")
    out.append(_kv({"site": site, "study": study, "package": (summary.get("package") or {}).get("name"),
                    "package descriptor SHA-256": (summary.get("package") or {}).get("descriptorSha256"),
                    "model specification": summary.get("modelSpecification"),
                    **{f"setting: {k}": v for k, v in (summary.get("settings") or {}).items()}}))
    for key in parts_keys:
        out.append(f"<h2>{'Models' if key == 'models' else 'Agreement statistics'}: shared or withheld</h2>")
        for m in summary[key]:
            out += _model(m)
    out.append("<h2>Tables of counts</h2><p class=\"muted\">A grey <em>suppressed</em> cell is withheld (null in the JSON).</p>")
    for t in summary.get("tables", []):
        out += _table(t)
    out.append("<h2>The file itself</h2><p class=\"muted\">Exactly the JSON that is shared, nothing more.</p>")
    out.append(f"<pre class=\"mono\" style=\"background: #f6f8fa; padding: 8px; font-size: 0.8em\">{e(text)}</pre>")
    return page(f"Site summary of {site}", "\n".join(out))
