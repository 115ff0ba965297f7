"""What a site summary must be before `pedcomm meta` combines it.

1. It follows the JSON Schema of site summaries of the registered studies
   (pedcomm.sites.summary_schema; for pedcomm's own studies it is the published
   validation/site-summary.schema.json, which a test keeps equal to it, and a study registered
   beside them adds its part without editing the published file): types, identifiers, bounded
   texts and lists, finite numbers (the JSON reader refuses NaN and Infinity), disclosure settings,
   no field the format does not define;
2. what a schema cannot say: each shared model's coefficients and covariance match its terms,
   the covariance matrix is symmetric, every variance is positive and not below SUMMARY_INVALID's
   min_variance, and no coefficient is beyond its max_abs_coefficient in size;
3. the sharing rules (pedcomm.analysis.suppress): a threshold of at least the minimum, no published
   count between 1 and the threshold (nor a zero the summary declares suppressed), no additive
   line with a single suppressed number, no model shared from fewer relationships, events or
   non-events than the threshold.

``check`` returns the problems of 1-2 (SUMMARY_INVALID) and of 3 (SUMMARY_DISCLOSURE) in words.
No value of the summary is quoted in them except through pedcomm.validation.masking.
"""

from __future__ import annotations

import math
from functools import cache

from ..analysis.suppress import MINIMUM_THRESHOLD, published_numbers, single_suppressions
from ..validation.masking import shown_one
from ..validation.words import plural

SCHEMA_FILE = "site-summary.schema.json"
#: Relative tolerance of the covariance matrix's symmetry (summaries round to 12 decimals).
SYMMETRY_TOLERANCE = 1e-8


@cache
def schema() -> dict:
    from .summary_schema import schema as generated

    return generated()


@cache
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def _where(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "the document"


def _describe(error) -> str:
    """A schema error in words, without quoting the document's values (only masked names)."""
    from jsonschema.exceptions import best_match

    if error.validator in ("oneOf", "anyOf") and error.context:
        return _describe(best_match(error.context))
    where, kind, rule = _where(error.absolute_path), error.validator, error.validator_value
    if kind == "required":
        missing = [k for k in rule if isinstance(error.instance, dict) and k not in error.instance]
        return f"{where} lacks {', '.join(repr(k) for k in missing)}"
    if kind == "additionalProperties":
        extra = sorted(k for k in error.instance if k not in error.schema.get("properties", {}))
        return f"{where} has a field the format does not define ({shown_one(extra[0], limit=40)})"
    if kind == "type":
        return f"{where} must be {' or '.join(rule) if isinstance(rule, list) else rule}"
    if kind in ("enum", "const"):
        allowed = rule if kind == "enum" else [rule]
        return f"{where} must be {' or '.join(repr(a) for a in allowed)}"
    if kind == "pattern":
        return f"{where} does not have the form the format defines"
    if kind in ("minimum", "exclusiveMinimum"):
        return f"{where} must be at least {rule}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"{where} must be at most {rule}"
    if kind in ("maxLength", "maxItems"):
        return f"{where} is longer than {rule}"
    if kind in ("minLength", "minItems"):
        return f"{where} is shorter than {rule}"
    return f"{where} breaks the rule '{kind}' of the format"


@cache
def _bound(name: str) -> float:
    from ..validation.registry import parameter

    return float(parameter("SUMMARY_INVALID", name))


def _shapes(doc: dict) -> list[str]:
    out = []
    for i, m in enumerate(doc.get("models", [])):
        if m["status"] != "shared":
            continue
        k, name = len(m["terms"]), m["name"]
        cov = m["cov"]
        if len(m["coef"]) != k or len(cov) != k or any(len(r) != k for r in cov):
            out.append(f"models[{i}] ({name}): its coefficients or covariance do not match its {k} terms")
            continue
        for j, term in enumerate(m["terms"]):
            if not cov[j][j] > 0:
                out.append(f"models[{i}] ({name}): the variance of {term} is not positive")
            elif cov[j][j] < _bound("min_variance"):
                out.append(f"models[{i}] ({name}): the variance of {term} is below {_bound('min_variance'):g}, "
                           "smaller than any summary pedcomm writes")
            limit = _bound("max_abs_coefficient")
            if not abs(m["coef"][j]) <= limit:
                out.append(f"models[{i}] ({name}): the coefficient of {term} is beyond {limit:g} in size, "
                           "which no fitted model gives (its odds ratio is not a finite number)")
        asym = [(a, b) for a in range(k) for b in range(a + 1, k)
                if not math.isclose(cov[a][b], cov[b][a], rel_tol=SYMMETRY_TOLERANCE, abs_tol=1e-12)]
        if asym:
            out.append(f"models[{i}] ({name}): the covariance matrix is not symmetric")
        if m["events"] > m["n_relationships"]:
            out.append(f"models[{i}] ({name}): more events than relationships")
    return out


def _disclosure(doc: dict) -> list[str]:
    d = doc["disclosure"]
    threshold, zeros = d["threshold"], d["zeros_suppressed"]
    out = []
    for t in doc["tables"]:
        small = [where for where, v in published_numbers(t)
                 if v is not None and (0 < v < threshold or (v == 0 and zeros))]
        if small:
            out.append(f"the table {t['name']} publishes {plural(len(small), 'count')} below the threshold {threshold} "
                       f"(first at {small[0]})")
        try:
            singles = single_suppressions(t)
        except (IndexError, TypeError, KeyError):
            singles = ["its cells and totals do not line up"]
        if singles:
            out.append(f"the table {t['name']} has a line with a single suppressed number, recoverable by subtraction")
    for m in doc.get("models", []):
        if m["status"] == "shared":
            n, e = m["n_relationships"], m["events"]
            if min(n, e, n - e) < threshold:
                out.append(f"the {m['name']} model is shared from fewer than {threshold} relationships, events or non-events")
    out += _agreement_disclosure(doc)
    return out


def _agreement_disclosure(doc: dict) -> list[str]:
    """Agreement statistics are shared only from an agreement table line with no suppressed number
    (the statistics of a theme and its count give the table back)."""
    shared = [a for a in doc.get("agreement", []) if a["status"] == "shared"]
    if not shared:
        return []
    table = next((t for t in doc["tables"] if t["name"] == "theme_agreement"), None)
    if table is None:
        return ["agreement statistics are shared without the agreement table they come from"]
    out = []
    for a in shared:
        if a["name"] in table["rows"]:
            i = table["rows"].index(a["name"])
            line = table["cells"][i] + [table.get("row_totals", [None] * (i + 1))[i]]
        else:  # all themes: the column totals
            line = list(table.get("column_totals") or [None])
        if any(v is None for v in line) or a["n_discussions"] != sum(line[: len(table["columns"])]):
            out.append(f"the agreement statistics of {a['name']} are shared although its agreement table line has a "
                       "suppressed number (or does not add up to its discussions)")
    return out


def check(doc) -> tuple[list[str], list[str]]:
    """(problems making the summary invalid, breaches of the sharing rules), both in words."""
    invalid, disclosure = [], []
    for e in sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        if list(e.absolute_path) == ["disclosure", "threshold"] and e.validator == "minimum":
            disclosure.append(f"its threshold is {doc['disclosure']['threshold']}, below pedcomm's minimum of "
                              f"{MINIMUM_THRESHOLD}")
        else:
            invalid.append(_describe(e))
    if invalid:
        return invalid, disclosure
    invalid += _shapes(doc)
    disclosure += _disclosure(doc)
    return invalid, disclosure


def in_words(problems: list[str], n: int = 3) -> str:
    shown = "; ".join(problems[:n])
    return shown + (f"; and {len(problems) - n} more" if len(problems) > n else "")
