"""`pedcomm federated`: the rehearsal on one machine, and the centre and site commands of a real
deployment (the engines are in pedcomm.federated.run)."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Federated one-stage fits on Flower: sites keep their rows, the centre gets the pooled estimate.",
                  no_args_is_help=True)

SITE_EFFECTS_HELP = ("none: one intercept for all sites (equals pedcomm reproduce of the pooled package); fixed: one "
                     "indicator per site but the first (equals the one-stage fit of pedcomm meta --one-stage).")
ROUND_HELP = "Seconds a site has to answer one round before the fit stops (FEDERATED_SITE_LOST)."


def _cli():
    from .. import cli

    return cli


def _check(site_effects: str, method, cluster, correction) -> dict:
    cli = _cli()
    from ..federated.protocol import SITE_EFFECTS
    from ..studies.survey.analysis.models import ModelSettings

    if site_effects not in SITE_EFFECTS:
        cli._option_error("--site-effects", f"is {site_effects!r}; it must be none or fixed", command="federated")
    try:
        ModelSettings.from_config(method, cluster, correction)
    except ValueError as e:
        option = next((f"--{o}" for o in ("method", "correction") if o in str(e)), "--cluster")
        cli._option_error(option, str(e), command="federated")
    return {"method": method, "cluster": cluster, "correction": correction, "site_effects": site_effects}


def _flower_or_exit() -> None:
    from ..federated.run import FlowerMissing, require_flower, unavailable
    from ..validation.report import Report

    try:
        require_flower()
    except FlowerMissing as e:
        _cli()._report_out(unavailable(Report(), str(e)), "text")
        raise typer.Exit(2) from None


def _finish(res, out: Path) -> None:
    """Print the run's findings and what was written; exit 1 when nothing was."""
    from rich.markup import escape

    cli = _cli()
    console, err = cli._console(), cli._console(stderr=True)
    for f in res.findings:
        colour = "red" if f["severity"] == "error" else "yellow"
        console.print(f"[{colour}]{escape(f['code'])}: {escape(f['message'])}[/{colour}]")
    taking = [s["site"] for s in res.sites if s["status"] == "taking part"]
    if res.out is None:
        err.print(f"[red]Not fitted (see above). Nothing was written to {cli._safe(out)}.[/red]")
        raise typer.Exit(1)
    models = ", ".join(m["name"] for m in res.fitted)
    err.print(f"Fitted the {models} {'model' if len(res.fitted) == 1 else 'models'} on {cli.plural(len(taking), 'site')} "
              f"({', '.join(cli._safe(s) for s in taking)}) in {cli.plural(res.rounds, 'round')}: "
              f"{cli._safe(out / 'federated_models.csv')}.")


@app.command("rehearse")
def rehearse_cmd(
    packages: list[Path] = typer.Argument(..., help="The site packages (datapackage.json files or their folders), one SuperNode each."),
    out: Path = typer.Option(..., "--out", help="Folder to write federated_models.csv, federated_sites.csv, federated_report.json and one audit file per site to (created; replaced only with --force)."),
    site_effects: str = typer.Option("none", "--site-effects", help=SITE_EFFECTS_HELP),
    method: str | None = typer.Option(None, help="Model estimator: gee or glm_cluster (default: survey.yaml's, gee)."),
    cluster: str | None = typer.Option(None, help="Cluster by clinician, parent, site, or parent+clinician (two-way; the survey.yaml default)."),
    correction: str | None = typer.Option(None, help="Small-sample correction: bias_reduced (Mancl-DeRouen; the survey.yaml default) or none."),
    config: list[Path] = typer.Option([], "--config", help="A site configuration (site.yaml) per package, in the packages' order."),
    review: list[str] = typer.Option([], "--review", help="A site (its declared id) that runs in review mode: it answers round 1 and stops (repeat for several)."),
    round_timeout: float = typer.Option(600.0, "--round-timeout", min=1.0, help=ROUND_HELP),
    force: bool = typer.Option(False, help="Replace the output if pedcomm wrote it before and nobody changed it since (never anything else)."),
):
    """Rehearse a federated fit on this machine: a Flower SuperLink and one SuperNode per site package, as separate
    processes on 127.0.0.1, fitting both survey models as pedcomm reproduce does, from the sites' sums only.

    Exit 0: written; 1: nothing fitted (too few sites, a site lost, no estimable model; nothing is written); 2: bad option, unreadable input or Flower missing.
    """
    cli = _cli()
    setup = _check(site_effects, method, cluster, correction)
    if config and len(config) != len(packages):
        cli._option_error("--config", f"is given {len(config)} times for {len(packages)} packages; give one per package, "
                                      "in the same order", command="federated rehearse")
    _flower_or_exit()
    from ..federated.run import rehearse

    err = cli._console(stderr=True)
    with cli._guarded(command="federated rehearse"), err.status("rehearsing ...") as status:
        try:
            res = rehearse(packages, out, setup=setup, force=force, round_timeout=round_timeout, configs=config,
                           review=review, progress=lambda m: status.update(f"federated: {m}"))
        except RuntimeError as e:
            status.stop()
            err.print(f"[red]The federated rehearsal failed: {cli._safe(e)}. Nothing was written.[/red]")
            raise typer.Exit(1) from None
    _finish(res, out)
