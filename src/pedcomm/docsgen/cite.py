"""How to cite: rendered from CITATION.cff (the file GitHub's "Cite this repository" and Zenodo read)."""

from __future__ import annotations

import yaml

from .codebook import package_dir
from .md import BANNER, code, fence


def _names(people: list[dict]) -> str:
    out = []
    for p in people or []:
        out.append(p.get("name") or " ".join(x for x in (p.get("given-names"), p.get("family-names")) if x))
    return ", ".join(out)


def _licenses(cff: dict) -> list[str]:
    lic = cff.get("license", [])
    return [lic] if isinstance(lic, str) else list(lic)


def page() -> str:
    path = package_dir() / "CITATION.cff"
    text = path.read_text(encoding="utf-8")
    cff = yaml.safe_load(text)
    year = str(cff.get("date-released", ""))[:4]
    citation = f"{_names(cff.get('authors'))} ({year}). *{cff['title']}* (version {cff.get('version')})."
    if cff.get("doi"):
        citation += f" doi:{cff['doi']}"
    out = [BANNER.format(source="CITATION.cff"), "# How to cite", "",
           cff.get("message", ""), "", f"> {citation}", "",
           f"- **Version:** {code(str(cff.get('version')))}, released {cff.get('date-released', '')}",
           f"- **Licences:** {', '.join(code(x) for x in _licenses(cff))} "
           "(code under the first; schemas and example data as declared in `datapackage.json`)", ""]
    refs = cff.get("references", [])
    if refs:
        out += ["## The studies whose data model pedcomm follows", "",
                "Please cite them too when you use their data model or reproduce their analyses.", ""]
        for r in refs:
            out.append(f"- {_names(r.get('authors'))}, et al. {r['title']}. *{r.get('journal', '')}*. {r.get('year', '')};"
                       f"{r.get('volume', '')}({r.get('issue', '')}). doi:[{r['doi']}](https://doi.org/{r['doi']})")
        out.append("")
    out += ["## CITATION.cff", "",
            "GitHub shows this file as *Cite this repository*; reference managers and `cffconvert` turn it into "
            "BibTeX, APA or RIS. Zenodo archives each release with the metadata in `.zenodo.json`, which the tests "
            "keep consistent with this file and with `datapackage.json`.", "", fence(text, "yaml")]
    return "\n".join(out)
