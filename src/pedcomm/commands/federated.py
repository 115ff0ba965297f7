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


_HELPERS: list = []  # the command line's module (pedcomm.cli), given by register: its option and report helpers


def register(parent: typer.Typer, helpers) -> None:
    """Add `pedcomm federated` to the command line ``parent``; ``helpers`` is pedcomm.cli itself
    (passed in, so this module does not import the one that imports it)."""
    _HELPERS[:] = [helpers]
    parent.add_typer(app, name="federated")


def _cli():
    return _HELPERS[0]


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
        cli = _cli()
        f = unavailable(Report(), str(e)).findings[0]
        cli._console().print(f"[red]{f.code}: {cli._safe(f.message)}[/red]\n  {cli._safe(f.action)}", soft_wrap=True)
        raise typer.Exit(2) from None


def _guards_or_exit(config: Path) -> None:
    """A usable site.yaml with usable federated guards, or exit 2 with SITE_CONFIG_INVALID."""
    from ..federated.guards import Guards
    from ..validation.config import ConfigError

    cli = _cli()
    (loaded,) = cli._configs([config])  # exits 2 with SITE_CONFIG_INVALID when it cannot be used
    try:
        Guards.from_config(loaded.federated, config.name)
    except ConfigError as e:
        cli._report_out(cli._config_report(e), "text")
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
    for c in config:
        _guards_or_exit(c)
    from ..files.inputs import descriptor_path

    for p in packages:
        if not descriptor_path(p).is_file():
            cli._option_error("SITE_PACKAGE", f"{str(p)!r} is not a package: there is no {descriptor_path(p).name} there",
                              command="federated rehearse")
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


INSECURE_WARNING = ("--insecure: the connection is not encrypted and the centre is not authenticated; use it only "
                    "to try the commands on one machine, never between hospitals.")


def _tls(certificate, key, ca, insecure: bool, command: str):
    from ..federated.run import TLS

    cli = _cli()
    given = [p for p in (certificate, key, ca) if p is not None]
    if insecure:
        if given:
            cli._option_error("--insecure", "is given with certificate files; give one or the other", command=command)
        cli._console(stderr=True).print(f"[yellow]Warning: {INSECURE_WARNING}[/yellow]")
        return None
    if len(given) != 3:
        cli._option_error("--certificate", "--key and --ca are all needed for TLS (or --insecure to try without)",
                          command=command)
    for p in given:
        if not Path(p).is_file():
            cli._option_error("--certificate" if p == certificate else "--key" if p == key else "--ca",
                              f"is {str(p)!r}, which is not a file", command=command)
    return TLS(Path(certificate), Path(key), Path(ca))


@app.command("centre")
def centre_cmd(
    out: Path = typer.Option(..., "--out", help="Folder to write federated_models.csv, federated_sites.csv and federated_report.json to (created; replaced only with --force)."),
    sites: int = typer.Option(..., "--sites", min=1, help="How many sites take part: the fit starts when they have connected."),
    host: str = typer.Option("0.0.0.0", "--host", help="Address the SuperLink listens on (0.0.0.0: every interface of this machine)."),
    port: int = typer.Option(9092, "--port", min=1, max=65535, help="Port the SuperLink listens on (the sites connect to HOST:PORT)."),
    certificate: Path | None = typer.Option(None, "--certificate", help="The centre's TLS certificate (PEM), naming its host name and 127.0.0.1."),
    key: Path | None = typer.Option(None, "--key", help="The certificate's private key (PEM)."),
    ca: Path | None = typer.Option(None, "--ca", help="The certificate of the authority that signed it (PEM); the sites use the same file."),
    insecure: bool = typer.Option(False, "--insecure", help="No TLS (a warning is printed): only to try the commands on one machine."),
    site_effects: str = typer.Option("none", "--site-effects", help=SITE_EFFECTS_HELP),
    method: str | None = typer.Option(None, help="Model estimator: gee or glm_cluster (default: survey.yaml's, gee)."),
    cluster: str | None = typer.Option(None, help="Cluster by clinician, parent, site, or parent+clinician (two-way; the survey.yaml default)."),
    correction: str | None = typer.Option(None, help="Small-sample correction: bias_reduced (Mancl-DeRouen; the survey.yaml default) or none."),
    wait: float = typer.Option(600.0, "--wait", min=1.0, help="Seconds to wait for the sites to connect."),
    round_timeout: float = typer.Option(600.0, "--round-timeout", min=1.0, help=ROUND_HELP),
    force: bool = typer.Option(False, help="Replace the output if pedcomm wrote it before and nobody changed it since (never anything else)."),
):
    """Run the centre of a federated fit: a Flower SuperLink that the sites' `pedcomm federated site` connect to,
    then the fit of both survey models from their sums.

    Exit 0: written; 1: nothing fitted (too few sites, a site lost, no estimable model); 2: bad option or Flower missing.
    """
    cli = _cli()
    setup = _check(site_effects, method, cluster, correction)
    tls = _tls(certificate, key, ca, insecure, "federated centre")
    _flower_or_exit()
    from ..federated.run import centre

    err = cli._console(stderr=True)
    with cli._guarded(command="federated centre"), err.status("starting ...") as status:
        try:
            res = centre(out, sites=sites, host=host, port=port, tls=tls, setup=setup, force=force, wait=wait,
                         round_timeout=round_timeout, progress=lambda m: status.update(f"federated centre: {m}"))
        except RuntimeError as e:
            status.stop()
            err.print(f"[red]The federated fit failed: {cli._safe(e)}. Nothing was written.[/red]")
            raise typer.Exit(1) from None
    _finish(res, out)


@app.command("site")
def site_cmd(
    package: Path = typer.Argument(..., help="The site's package (a datapackage.json or its folder); its rows never leave this machine."),
    centre: str = typer.Option(..., "--centre", help="The centre's address, HOST:PORT (as the centre's --host and --port)."),
    audit: Path = typer.Option(..., "--audit", help="The audit file to write: one line per message sent, written before it is sent (a new file)."),
    ca: Path | None = typer.Option(None, "--ca", help="The certificate authority that signed the centre's certificate (PEM)."),
    insecure: bool = typer.Option(False, "--insecure", help="No TLS (a warning is printed): only to try the commands on one machine."),
    config: Path | None = typer.Option(None, "--config", help="The site configuration (site.yaml): validation overrides and the federated guards."),
    review: bool = typer.Option(False, "--review", help="Review mode: answer round 1, then stop, so a privacy officer can read the audit file first."),
):
    """Take part in a federated fit as a site: a Flower SuperNode answers the centre's requests with sums of this
    package's rows (checked by the disclosure guards, written to the audit file before they are sent).

    Exit 0: the fit finished (or review mode stopped after round 1); 1: the site refused (a guard) or the centre went away; 2: bad option or Flower missing.
    """
    cli = _cli()
    if insecure and ca is not None:
        cli._option_error("--insecure", "is given with --ca; give one or the other", command="federated site")
    if not insecure and ca is None:
        cli._option_error("--ca", "is needed to check the centre's certificate (or --insecure to try without TLS)",
                          command="federated site")
    if ca is not None and not ca.is_file():
        cli._option_error("--ca", f"is {str(ca)!r}, which is not a file", command="federated site")
    if insecure:
        cli._console(stderr=True).print(f"[yellow]Warning: {INSECURE_WARNING}[/yellow]")
    from ..files.inputs import descriptor_path

    if not descriptor_path(package).is_file():
        cli._option_error("PACKAGE", f"{str(package)!r} is not a package: there is no {descriptor_path(package).name} there",
                          command="federated site")
    if audit.exists() or audit.is_symlink():
        cli._option_error("--audit", f"is {str(audit)!r}, which exists; the audit of a run is a new file", command="federated site")
    from ..files.inputs import package_files

    if audit.resolve() in {p.resolve() for p in package_files(package)} or (config and audit.resolve() == config.resolve()):
        cli._option_error("--audit", "is one of the site's input files", command="federated site")
    if config is not None:
        _guards_or_exit(config)
    _flower_or_exit()
    from ..federated.run import site

    err = cli._console(stderr=True)
    with cli._guarded(command="federated site"), err.status("connecting ...") as status:
        run = site(package, centre_address=centre, ca=ca, audit_path=audit, config=config, review=review,
                   progress=lambda m: status.update(f"federated site: {m}"))
    sent = sum(len(r["arrays"]) for r in run.records)
    last = run.records[-1] if run.records else {}
    for f in last.get("findings", []):
        err.print(f"[red]{cli._safe(f['code'])}: {cli._safe(f['detail'])}[/red]")
    what = f"{cli.plural(len(run.records), 'message')} sent ({cli.plural(sent, 'array')}), listed in {cli._safe(audit)}"
    if run.status == "finished":
        err.print(f"The federated fit is over: {what}.")
    elif run.status == "stopped":
        err.print(f"Review mode: stopped after round 1; {what}. Read it, then take part without --review.")
    else:
        why = "refused to take part (see above)" if run.status == "refused" else "lost the centre before the fit ended"
        err.print(f"[red]The site {why}: {what}.[/red]")
        raise typer.Exit(1)
