"""The pedcomm command line. Heavy libraries are imported inside commands, so --help answers at once."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

import typer

app = typer.Typer(help="pedcomm: validate, generate and analyse pediatric-oncology communication data packages.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
synth_app = typer.Typer(help="Generate SYNTHETIC example packages calibrated to the published figures.",
                        no_args_is_help=True)
app.add_typer(synth_app, name="synth")


def _add_federated() -> None:
    import sys

    from .commands.federated import register  # typer only: its engines are imported when it runs

    register(app, sys.modules[__name__])


def _print_version(value: bool) -> None:
    if value:
        from . import standard

        typer.echo(f"{standard.signature()}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                          help="Print the versions of pedcomm and of the standard it checks against, then exit.")):
    """pedcomm: validate, generate and analyse pediatric-oncology communication data packages."""


def _console(stderr: bool = False):
    from rich.console import Console

    # the terminal's width (rich reads it, or $COLUMNS; 80 when it cannot tell, e.g. in a pipe)
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 error', '2 errors' (pedcomm.validation.words, imported when first needed)."""
    from .validation.words import plural as in_words

    return in_words(n, word, many)


#: What --force means for every writing command (pedcomm.files.outputs).
FORCE_HELP = "Replace the output if pedcomm wrote it before and nobody changed it since (never anything else)."


def _safe(text) -> str:
    """Text for the terminal: control characters neutralised, rich markup escaped, length bounded."""
    from rich.markup import escape

    from .validation.masking import bounded, neutralise

    return escape(bounded(neutralise(str(text)), 500))


@contextmanager
def _guarded(format: str = "text", command: str | None = None):
    """Run a command body; refusals of the file layer become coded findings (exit 2), running out of
    memory a one-line message (exit 2), and an interruption a one-line message (exit 128 + the
    signal's number)."""
    from .files.inputs import InputRefused
    from .files.outputs import Interrupted, OutputRefused
    from .validation.engine.errors import OutOfMemory, python_out_of_memory

    try:
        yield
    except OutputRefused as e:
        from .validation.refusals import output_report

        _report_out(output_report(e, command), format)
        raise typer.Exit(2) from None
    except InputRefused as e:
        from .validation.refusals import input_report

        _report_out(input_report(e, command), format)
        raise typer.Exit(2) from None
    except Interrupted as e:
        from .validation.refusals import interrupted_message

        _console(True).print(f"[red]{_safe(interrupted_message(e.signum, e.completed))}[/red]")
        raise typer.Exit(128 + e.signum) from None
    except OutOfMemory as e:
        _console(True).print(f"[red]{_safe(e.message())}[/red]")
        raise typer.Exit(2) from None
    except MemoryError:
        _console(True).print(f"[red]{_safe(python_out_of_memory())}[/red]")
        raise typer.Exit(2) from None


def _option_error(option: str, detail: str, format: str = "text", command: str | None = None):
    """Refuse an option value with the OPTION_INVALID finding (exit 2, nothing read or written)."""
    from .validation.refusals import option_report

    detail = detail.removeprefix(f"{option} ")  # messages raised elsewhere may name the option already
    _report_out(option_report(option, detail, command), format if format in ("text", "json") else "text")
    raise typer.Exit(2)


def _package_option(package: Path | None, command: str, format: str = "text") -> Path | None:
    """A --package value that names no package is refused with OPTION_INVALID (exit 2), with close names."""
    if package is not None:
        from .commands.packages import missing

        why = missing(package)
        if why:
            _option_error("--package", why, format, command)
    return package


def _protect(*paths) -> list[Path]:
    """The files of the inputs given (packages by their files, other inputs as they are)."""
    from .files.inputs import package_files

    out = []
    for p in paths:
        if p is None:
            continue
        if isinstance(p, tuple):  # ("package", path)
            out += package_files(p[1])
        else:
            out.append(Path(p))
    return out


#: The renderings of a validation report, by --format value (case-insensitive; "md" is Markdown).
REPORT_FORMATS = ("text", "json", "html", "markdown")


def _report_format(format: str, command: str, allowed=REPORT_FORMATS) -> str:
    """The --format value normalised (case-insensitive), or exit 2 with OPTION_INVALID."""
    f = (format or "").strip().lower()
    f = {"md": "markdown", "htm": "html"}.get(f, f)
    if f not in allowed:
        _option_error("--format", f"is {format!r}; it must be {', '.join(allowed[:-1])} or {allowed[-1]}", command=command)
    return f


def _render(report, format: str, width: int | None = None) -> str:
    from .validation.report import render

    if format == "json":
        return render.to_json(report)
    if format == "html":
        from .validation.report.html import to_html

        return to_html(report)
    if format == "markdown":
        from .validation.report.markdown import to_markdown

        return to_markdown(report)
    return render.to_text(report, width or render.FILE_WIDTH)


@app.command()
def validate(
    path: Path = typer.Argument(..., help="A datapackage.json or the folder holding it."),
    format: str = typer.Option("text", "--format", help="text (for people), html or markdown (a report to forward), json (for machines); any case."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to this file instead of the screen."),
    max_findings: int = typer.Option(100, help="Findings listed per check, resource and field (all are counted)."),
    show_values: bool = typer.Option(False, "--show-values", help="Print suspected identifying values in full (they are masked by default)."),
    config: Path | None = typer.Option(None, "--config", help="Site configuration (site.yaml): reclassify or ignore findings of named codes, each with a written justification."),
    timestamp: bool = typer.Option(False, "--timestamp", help="Record the date and time of the run in a text or JSON report (for the coordinating centre's dashboard; the report is then no longer byte-identical between runs, unless SOURCE_DATE_EPOCH is set). HTML and Markdown reports always carry it."),
    force: bool = typer.Option(False, help="With --output: " + FORCE_HELP),
):
    """Check a package against the pedcomm standard.

    Exit 0: no errors; 1: errors; 2: unreadable input or configuration.
    """
    from .files.outputs import FILE, claim
    from .validation.report.render import to_terminal
    from .validation.run import validate as run

    format = _report_format(format, "validate")
    if max_findings < 0:
        _option_error("--max-findings", "must be 0 or more", format, "validate")
    timestamp = timestamp or format in ("html", "markdown")  # a report people forward says when it was made
    with _guarded(format, "validate"):
        if output is None:
            report = _validation_report(path, max_findings, show_values, config, run, timestamp)
            if format == "text":
                to_terminal(report, _console())
            else:
                typer.echo(_render(report, format), nl=False)
            raise typer.Exit(report.exit_code)
        with claim(output, kind=FILE, command="validate", force=force, protect=_protect(("package", path), config)) as dest:
            report = _validation_report(path, max_findings, show_values, config, run, timestamp)
            dest.write_text(_render(report, format))
    _console(stderr=True).print(f"Wrote the {format} report to {_safe(output)}: {_safe(report.status)}.")
    raise typer.Exit(report.exit_code)


def _validation_report(path, max_findings, show_values, config, run, timestamp=False):
    site_config = _site_config(config)
    if isinstance(site_config, Exception):
        return _config_report(site_config)
    with _console(stderr=True).status("validating ...") as status:
        result = run(path, max_listed=max_findings, reveal_values=show_values, config=site_config,
                     progress=lambda m: status.update(f"validating: {m}"))
    if timestamp:  # on request (JSON, text), and always in a report for people (HTML, Markdown): see validate
        result.report.meta["validated_at"] = _now()
    return result.report


def _now() -> str:
    """The date and time of a run (UTC, to the second): SOURCE_DATE_EPOCH's when it is set, as
    reproducible builds do, so a report for people is dated and still byte-identical when asked."""
    import os
    from datetime import datetime

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return when.replace(microsecond=0).isoformat()


def _site_config(path: Path | None):
    """The site configuration at ``path`` (None without one), or the ConfigError saying why it is unusable."""
    if path is None:
        return None
    from .validation.config import ConfigError, load

    try:
        return load(path)
    except ConfigError as e:
        return e


def _config_report(error):
    """A report holding the SITE_CONFIG_INVALID finding of an unusable configuration (exit 2)."""
    from . import standard
    from .validation.config import refuse
    from .validation.report import Report

    report = Report()
    report.meta = {**standard.provenance()}
    return refuse(report, error)


@app.command()
def reproduce(
    path: Path | None = typer.Argument(None, help="A datapackage.json or the folder holding it (default: the shipped example package)."),
    out: Path = typer.Option(..., "--out", help="Folder to write the tables to (created; replaced only with --force)."),
    method: str | None = typer.Option(None, help="Model estimator: gee or glm_cluster (default: survey.yaml's, gee)."),
    cluster: str | None = typer.Option(None, help="Cluster by clinician, parent, site, or parent+clinician (two-way; the survey.yaml default). Refused with too few clusters (CLUSTERS_TOO_FEW)."),
    correction: str | None = typer.Option(None, help="Small-sample correction of the clustered covariance: bias_reduced (Mancl-DeRouen; the survey.yaml default) or none."),
    force: bool = typer.Option(False, help=FORCE_HELP),
    config: Path | None = typer.Option(None, "--config", help="Site configuration (site.yaml) to validate with, as for pedcomm validate."),
):
    """Validate a package, then reproduce the published tables beside the published numbers.

    Exit 0: tables written; 1: the package has errors, nothing could be reproduced, or the data have too few clusters for the clustering asked for (nothing is written); 2: unreadable input or a bad option.
    """
    from .analysis.result import Options
    from .commands.packages import default as default_package
    from .reproduce.run import reproduce as run
    from .studies import registered as studies

    err = _console(stderr=True)
    options = Options(method=method, cluster=cluster, correction=correction)
    try:
        for study in studies():
            study.check_options(options)
    except ValueError as e:
        option = next((f"--{o}" for o in ("method", "correction") if o in str(e)), "--cluster")
        _option_error(option, str(e), command="reproduce")
    with _guarded(command="reproduce"):
        (site_config,) = _configs([config]) if config else (None,)
        path, which = default_package(path)
        if which:
            err.print(which, soft_wrap=True)
        _reproduce(path, out, options, force, site_config, config, run, err)


def _reproduce(path, out, options, force, site_config, config, run, err):
    from rich.markup import escape
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .analysis.clusters import ClusteringRefused
    from .reproduce.run import NothingToReproduce
    from .validation.report.render import SEVERITY_STYLE, to_terminal

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("reproducing ...", total=None)
        try:
            outcome = run(path, out, options=options, force=force, config=site_config, protect=_protect(config),
                          progress=lambda m: progress.update(task, description=f"reproducing: {m}"))
        except NothingToReproduce as e:
            progress.stop()
            err.print(f"[red]Nothing to reproduce: {escape(str(e))}. Nothing was written.[/red]")
            raise typer.Exit(1) from None
        except ClusteringRefused as e:
            progress.stop()
            refused = [f for f in e.report.findings if f.code == "CLUSTERS_TOO_FEW"]
            for f in refused:
                err.print(f"[red]{f.code}: {escape(f.message)}[/red]")
            if refused:
                err.print(f"  {escape(refused[0].action)}")
            err.print("[red]Not reproduced: nothing was written.[/red]")
            raise typer.Exit(1) from None
        except (RuntimeError, ValueError, ArithmeticError) as e:
            progress.stop()
            err.print(f"[red]The reproduction failed: {escape(str(e))}. Nothing was written.[/red]")
            raise typer.Exit(1) from None
    report = outcome.validated.report
    if outcome.out is None:
        to_terminal(report, _console())
        err.print(f"[red]Not reproduced: the package has errors (see above). Nothing was written to {_safe(out)}.[/red]")
        raise typer.Exit(report.exit_code)
    counts = ", ".join(f"{n} {s}" for s, n in outcome.status_counts.items() if n)
    console = _console()
    warned = report.totals()["warning"]
    console.print(f"Validated {_safe(path)}: {report.status} ({plural(report.totals()['error'], 'error')}, {plural(warned, 'warning')}"
                  f"{'; run pedcomm validate to see them' if warned else ''}).")
    for result in outcome.results:
        shown = "; ".join(f"{k} {v}" for k, v in result.settings.items() if k in ("method", "cluster", "correction"))
        figures = len(getattr(result, "figures", []) or [])
        console.print(f"Reproduced the {result.study} study: {plural(len(result.tables), 'table')}"
                      f"{f', {figures} figures' if figures else ''}{f' ({shown})' if shown else ''}.")
        for f in getattr(result, "findings", []) or []:
            console.print(f"[{SEVERITY_STYLE.get(f.severity, 'yellow')}]{f.code}: {escape(f.message)}[/]")
    for study in outcome.skipped:
        console.print(f"Skipped the {study} study: its resources are not in the package.")
    for study in outcome.unimplemented:
        console.print(f"Not reproduced: the {study} study (no reproduction implemented yet).")
    console.print(f"Compared {len(outcome.comparison)} published targets: {counts}.")
    if outcome.status_counts.get("off"):
        console.print("[yellow]Some reproduced values are 'off' the published ones: see comparison.csv.[/yellow]")
    console.print(f"Tables (CSV, Markdown, HTML, LaTeX) and figures (PNG, SVG, PDF) are in {_safe(out)}/; start with "
                  f"{_safe(out / 'index.html')} (or {_safe(out / 'index.md')}).")


#: Seeds are whole numbers from 0 to 2^63 - 1 (what every random number library accepts).
MAX_SEED = 2 ** 63 - 1


def _synth(study: str, seed: int, out: Path, force: bool, sites: int | None = None):
    from .synth import write_package

    command = f"synth {study}"
    if not 0 <= seed <= MAX_SEED:
        _option_error("--seed", f"is {seed}; a seed is a whole number from 0 to 2^63 - 1", command=command)
    if sites is not None and not 1 <= sites <= 99:
        _option_error("--sites", f"is {sites}; it must be between 1 and 99", command=command)
    console = _console(stderr=True)
    with _guarded(command=command):
        if sites is not None:
            from .synth.sites import write_sites

            with console.status(f"generating {sites} synthetic {study} sites (seed {seed}) ..."):
                folders = write_sites(study, sites, seed=seed, out=out, force=force)
            console.print(f"Wrote {len(folders)} SYNTHETIC {study} site packages (seed {seed}) to {_safe(out)}/: "
                          f"{', '.join(f.name for f in folders)}")
            return
        with console.status(f"generating synthetic {study} package (seed {seed}) ..."):
            write_package(study, seed=seed, out=out, force=force)
    console.print(f"Wrote a SYNTHETIC {study} package (seed {seed}) to {_safe(out)}")


SEED_HELP = "Random seed; the same seed gives byte-identical files."


def _synth_command(name: str, help_text: str, sites_help: str | None, default_seed: int):
    """`pedcomm synth NAME` for one registered study (with --sites when its record has a site generator)."""
    command: Callable[..., None]
    if sites_help is None:
        def command(seed: int = typer.Option(default_seed, help=SEED_HELP),
                    out: Path = typer.Option(..., "--out", help="Folder to write the package to."),
                    force: bool = typer.Option(False, help=FORCE_HELP)):
            _synth(name, seed, out, force)
    else:
        def command(seed: int = typer.Option(default_seed, help=SEED_HELP),
                    out: Path = typer.Option(..., "--out", help="Folder to write the package to."),
                    force: bool = typer.Option(False, help=FORCE_HELP),
                    sites: int | None = typer.Option(None, "--sites", help=sites_help)):
            _synth(name, seed, out, force, sites)
    command.__doc__ = help_text
    synth_app.command(name)(command)


def _register_synth_commands() -> None:
    """One `synth` subcommand per registered study with a generator, from its record (pedcomm.studies),
    then `synth all`; every seed defaults to the shipped example package's (pedcomm.standard.SHIPPED_SEED)."""
    from ._base import StandardMissing

    try:
        from .standard import SHIPPED_SEED
        from .studies import registered

        studies = registered()
    except StandardMissing:  # a broken installation: main() says so when a command needs the standard
        return
    for study in studies:
        if study.generate is not None:
            _synth_command(study.name, study.synth_help(), study.sites_help if study.generate_site else None,
                           SHIPPED_SEED)
    _synth_command("all", f"Every study in one package: the shipped example package is this output for seed "
                          f"{SHIPPED_SEED}.", None, SHIPPED_SEED)


_register_synth_commands()


# -- interoperability: REDCap, REFI-QDA, SPSS/Stata/Parquet (issue 7) ---------------------------
redcap_app = typer.Typer(help="REDCap: a data dictionary for the survey instruments; import records exports.",
                         no_args_is_help=True)
app.add_typer(redcap_app, name="redcap")

_REFERENCE_HELP = ("Package holding the instrument items and sites the REDCap project uses "
                   "(default: the shipped example package).")


def _site_id(site: str | None, command: str) -> str | None:
    """A --site value checked against the standard's site-id rule (exit 2 with OPTION_INVALID otherwise)."""
    if site is None:
        return None
    from .standard.declaration import SITE_ID

    if not SITE_ID.fullmatch(site):
        _option_error("--site", f"is {site!r}; a site id is 1 to 24 letters, digits, '_', '.' or '-', starting "
                                "with a letter or digit", command=command)
    return site


def _report_out(report, format: str) -> None:
    """Print a report (text for people, JSON for machines) on standard output."""
    from .validation.report.render import to_json, to_terminal

    if format == "json":
        typer.echo(to_json(report), nl=False)
    else:
        to_terminal(report, _console())


def _redcap_reference(package: Path | None):
    """The text tables of the reference package, or exit 2 when it lacks the instruments and sites."""
    from .interop.package_io import shipped_package, text_tables
    from .interop.redcap.forms import REFERENCE_TABLES
    from .validation.run import validate as run

    ref = run(package or shipped_package())
    tables = text_tables(ref)
    if any(n not in tables for n in REFERENCE_TABLES):
        _report_out(ref.report, "text")
        _console(True).print(f"[red]The package {_safe(package or shipped_package())} has no readable "
                             f"{' and '.join(REFERENCE_TABLES)}; nothing was written.[/red]")
        raise typer.Exit(2)
    return tables


@redcap_app.command("dictionary")
def redcap_dictionary(
    out: Path = typer.Option(..., "--out", help="The data dictionary CSV to write (REDCap's 18 columns)."),
    package: Path | None = typer.Option(None, "--package", help=_REFERENCE_HELP),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Write the REDCap data dictionary of the parent and clinician survey instruments."""
    from .files.outputs import FILE, claim
    from .interop import labels as L
    from .interop.package_io import shipped_package
    from .interop.redcap.dictionary import dictionary_rows, to_csv
    from .interop.redcap.forms import FORMS

    err = _console(stderr=True)
    package = _package_option(package, "redcap dictionary") or shipped_package()
    with _guarded(command="redcap dictionary"), \
            claim(out, kind=FILE, command="redcap dictionary", force=force, protect=_protect(("package", package))) as dest:
        rows = dictionary_rows(_redcap_reference(package))
        dest.write_text(to_csv(rows))
    codes = " | ".join(f"{c}, {lab}" for c, lab in L.declared_missing("survey_responses").items())
    repeating = ", ".join(f.name for f in FORMS if f.repeating)
    err.print(f"Wrote {len(rows)} fields on {len(FORMS)} forms to {_safe(out)}.")
    err.print(f"In REDCap: upload it (Project Setup > Data Dictionary), make {repeating} repeating instruments, "
              f"and set the project's Missing Data Codes to: {codes}. Or create the project in one step from "
              "`pedcomm redcap project --out project.xml`.")


@redcap_app.command("project")
def redcap_project(
    out: Path = typer.Option(..., "--out", help="The REDCap project XML file to write (CDISC ODM with REDCap's extensions)."),
    package: Path | None = typer.Option(None, "--package", help=_REFERENCE_HELP),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Write the whole REDCap project as one XML file: forms, fields, validation, repeating instruments, missing-data codes."""
    from .files.outputs import FILE, claim
    from .interop.package_io import shipped_package
    from .interop.redcap.forms import FORMS
    from .interop.redcap.project_xml import project_xml

    package = _package_option(package, "redcap project") or shipped_package()
    with _guarded(command="redcap project"), \
            claim(out, kind=FILE, command="redcap project", force=force, protect=_protect(("package", package))) as dest:
        dest.write_bytes(project_xml(_redcap_reference(package)))
    _console(stderr=True).print(
        f"Wrote the REDCap project ({len(FORMS)} instruments, {sum(f.repeating for f in FORMS)} repeating) to {_safe(out)}. "
        "In REDCap: New Project > 'Upload a REDCap project XML file', choose this file.")


_CROSSWALK_HELP = ("A crosswalk (CSV) from your project's own fields and codes to the standard's, as `pedcomm redcap "
                   "crosswalk` drafts it and you reviewed it; applied before the import.")


@redcap_app.command("import")
def redcap_import(
    export: Path = typer.Argument(..., help="A REDCap raw records export (CSV, variable names as headers)."),
    out: Path = typer.Option(..., "--out", help="Folder to write the package to (created; replaced only with --force)."),
    package: Path | None = typer.Option(None, "--package", help=_REFERENCE_HELP),
    format: str = typer.Option("text", "--format", help="Report as text (for people) or json (for machines)."),
    site: str | None = typer.Option(None, "--site", help="Your site id, declared in the package (default: the site of --package, e.g. the package pedcomm init wrote)."),
    crosswalk: Path | None = typer.Option(None, "--crosswalk", help=_CROSSWALK_HELP),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Turn a REDCap records export into a standard package and validate it.

    Exit 0: valid; 1: errors; 2: unreadable, or refused by the crosswalk.
    """
    _import_records(export, out, package, format, site, crosswalk, force, "redcap import")


def _import_records(path: Path, out: Path, package: Path | None, format: str, site: str | None,
                    crosswalk: Path | None, force: bool, command: str):
    from .interop.redcap.importer import import_export
    from .interop.tabular import kind, reader_of

    err = _console(stderr=True)
    format = _report_format(format, command, ("text", "json"))
    _package_option(package, command, format)
    site = _site_id(site, command)
    with _guarded(format, command):
        try:
            result = import_export(path, out, reference=package, force=force, site=site, crosswalk=crosswalk,
                                   **({} if command == "redcap import" else {"reader": reader_of(path), "kind": kind(path)}))
        except FileNotFoundError as e:  # a package without the instruments and sites the project is built from
            _option_error("--package", f"is '{package}': {e}", format, command)
    _report_out(result.report, format)
    if result.validated is None:
        err.print(f"[red]The {'export' if command == 'redcap import' else 'file'} was not converted (see above); "
                  f"nothing was written to {_safe(out)}.[/red]")
    else:
        err.print(f"Wrote the package to {_safe(out)} ({result.report.status}).")
    raise typer.Exit(result.exit_code)


@redcap_app.command("crosswalk")
def redcap_crosswalk(
    dictionary: Path = typer.Option(..., "--dictionary", help="Your project's data dictionary as REDCap downloads it (CSV), or an SPSS (.sav) or Stata (.dta) file whose variable and value labels describe your fields."),
    out: Path = typer.Option(..., "--out", help="The draft crosswalk to write (CSV)."),
    package: Path | None = typer.Option(None, "--package", help=_REFERENCE_HELP),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Draft the crosswalk from your own project to the standard's: which of your fields and codes is which.

    Every row says how sure the draft is (confidence, 0 to 100); the rows it is not sure of have review set
    to true. Check them, correct what is wrong, set review to false, then import with --crosswalk. Exit 0:
    written; 2: the dictionary cannot be read.
    """
    from .interop.crosswalk import write_draft

    err = _console(stderr=True)
    with _guarded(command="redcap crosswalk"):
        try:
            report, rows = write_draft(dictionary, out, reference=package, force=force)
        except FileNotFoundError as e:
            err.print(f"[red]{_safe(e)}[/red]")
            raise typer.Exit(2) from None
    if rows is None:
        _report_out(report, "text")
        err.print(f"[red]No draft: the dictionary cannot be read (see above); nothing was written to {_safe(out)}.[/red]")
        raise typer.Exit(report.exit_code or 2)
    review = [(i, r) for i, r in enumerate(rows, start=2) if r["review"] != "false"]
    d = report.meta["draft"]
    err.print(f"Wrote the draft crosswalk ({plural(d['rows'], 'row')}) to {_safe(out)}: {d['found']} of the standard's "
              f"{d['fields']} fields found in your {_safe(report.meta['described_by'])}"
              + (f", {d['constant']} given one value for every record" if d["constant"] else "")
              + f"; {plural(len(review), 'row')} marked for review.", soft_wrap=True)
    for line, r in review[:20]:
        site = r["site_field"] + (f" = {r['site_code']}" if r["site_code"] else "")
        std = (r["standard_field"] or "(left out)") + (f" = {r['standard_code']}" if r["standard_code"] else "")
        err.print(f"  row {line}: {_safe(site or '(no site field)')} -> {_safe(std)} ({r['confidence'] or 0}): "
                  f"{_safe(r['note'])}", soft_wrap=True, highlight=False)
    if len(review) > 20:
        err.print(f"  and {len(review) - 20} more rows marked for review.")
    err.print("Next: check every row marked for review (and your project's missing-data codes), set review to false, "
              "then run pedcomm redcap import EXPORT --crosswalk " + _safe(out) + " --package YOUR_PACKAGE --out FOLDER",
              soft_wrap=True)


qda_app = typer.Typer(help="REFI-QDA (NVivo, ATLAS.ti, MAXQDA, QualCoder): export the codebook and coded segments; import projects.",
                      no_args_is_help=True)
app.add_typer(qda_app, name="qda")


def _qda_export(kind: str, path: Path | None, out: Path, force: bool):
    from .interop.package_io import shipped_package
    from .interop.qda.export import NotExportable, export_codebook, export_project

    err = _console(stderr=True)
    command = "qda export-codebook" if kind == "codebook" else "qda export"
    _package_option(path, command)
    with _guarded(command=command):
        try:
            validated, written = (export_codebook if kind == "codebook" else export_project)(
                path or shipped_package(), out, force=force)
        except NotExportable as e:
            err.print(f"[red]Not exported: {_safe(e)}. Nothing was written.[/red]")
            raise typer.Exit(2) from None
    if written is None:
        _report_out(validated.report, "text")
        err.print(f"[red]Not exported: the package has errors (see above). Nothing was written to {_safe(out)}.[/red]")
        raise typer.Exit(validated.report.exit_code or 1)
    err.print(f"Wrote the {kind} to {_safe(written)}.")


@qda_app.command("export-codebook")
def qda_export_codebook(
    out: Path = typer.Option(..., "--out", help="The codebook file to write (.qdc)."),
    package: Path | None = typer.Option(None, "--package", help="The package (default: the shipped example package)."),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Write the codebook (themes as parent codes, codes nested) as a REFI-QDA .qdc file."""
    _qda_export("codebook", package, out, force)


@qda_app.command("export")
def qda_export(
    out: Path = typer.Argument(..., help="The project file to write (.qdpx)."),
    package: Path | None = typer.Option(None, "--package", help="The package (default: the shipped example package)."),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Write the codebook and the coded segments, one transcript per discussion, as a REFI-QDA .qdpx project."""
    _qda_export("project", package, out, force)


@qda_app.command("import")
def qda_import(
    project: Path = typer.Argument(..., help="A REFI-QDA project (.qdpx) or codebook (.qdc)."),
    out: Path = typer.Option(..., "--out", help="Folder to write the package to (created; replaced only with --force; never an input)."),
    package: Path | None = typer.Option(None, "--package", help="The site's coding package (discussions, attendance, coders): the project's segments replace those of the discussions it codes, all others are kept, and its other tables are copied. Needed when the project has coded selections."),
    discussions: Path | None = typer.Option(None, "--discussions", help="CSV mapping sources to discussions: columns source (name or GUID), discussion_id."),
    speakers: Path | None = typer.Option(None, "--speakers", help="CSV mapping transcript speaker labels to roles: columns label, role (an empty label: text without a label)."),
    coders: Path | None = typer.Option(None, "--coders", help="CSV mapping QDA users to coders: columns user (GUID or name), coder_id (an empty user: codings that name none)."),
    excerpts: bool = typer.Option(False, "--excerpts", help="Copy the selected text into the excerpt column (screened for identifiers by the validator). Off by default."),
    line_breaks: str = typer.Option("auto", "--line-breaks", help="How the tool counted a Windows line break (CR LF) in positions: one, two or auto (detect)."),
    char_units: str = typer.Option("auto", "--char-units", help="How the tool counted characters in positions: codepoints, utf16 or auto (detect)."),
    show_values: bool = typer.Option(False, "--show-values", help="Print speaker labels, user and source names in full (they are masked by default)."),
    format: str = typer.Option("text", "--format", help="Report as text (for people) or json (for machines)."),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Read a QDA project into codes, themes and segments, and validate the package. Exit 0: valid; 1: errors; 2: unreadable or unsafe input."""

    from .interop.qda.importer import import_project
    from .interop.qda.positions import LINE_BREAKS, UNITS

    err = _console(stderr=True)
    format = _report_format(format, "qda import", ("text", "json"))
    if line_breaks not in LINE_BREAKS:
        _option_error("--line-breaks", f"is {line_breaks!r}; it must be one of {', '.join(LINE_BREAKS)}", command="qda import")
    if char_units not in UNITS:
        _option_error("--char-units", f"is {char_units!r}; it must be one of {', '.join(UNITS)}", command="qda import")
    _package_option(package, "qda import", format)
    with _guarded(format, "qda import"):
        result = import_project(project, out, discussions=discussions, reference=package, force=force, speakers=speakers,
                                coders=coders, excerpts=excerpts, reveal=show_values, line_breaks=line_breaks,
                                char_units=char_units)
    _report_out(result.report, format)
    if result.validated is None:
        err.print(f"[red]The project was not converted (see above); nothing was written to {_safe(out)}.[/red]")
    else:
        err.print(f"Wrote the package to {_safe(out)} ({result.report.status}).")
    raise typer.Exit(result.exit_code)


@qda_app.command("maps")
def qda_maps(
    project: Path = typer.Argument(..., help="A REFI-QDA project (.qdpx) with coded selections."),
    out: Path = typer.Option(..., "--out", help="Folder to write the drafts to (created; replaced only with --force)."),
    package: Path | None = typer.Option(None, "--package", help="The site's coding package: fills in the discussion and coder ids it can recognise."),
    line_breaks: str = typer.Option("auto", "--line-breaks", help="As for qda import: one, two or auto."),
    char_units: str = typer.Option("auto", "--char-units", help="As for qda import: codepoints, utf16 or auto."),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Write drafts of the discussions, speakers and coders maps of a QDA project: every source, speaker
    label and user it codes with, to fill in and give to qda import. Exit 0: written; 1: nothing to map; 2: unreadable."""
    from .interop.qda.drafts import FILES, write_drafts
    from .interop.qda.positions import LINE_BREAKS, UNITS

    err = _console(stderr=True)
    if line_breaks not in LINE_BREAKS:
        _option_error("--line-breaks", f"is {line_breaks!r}; it must be one of {', '.join(LINE_BREAKS)}", command="qda maps")
    if char_units not in UNITS:
        _option_error("--char-units", f"is {char_units!r}; it must be one of {', '.join(UNITS)}", command="qda maps")
    _package_option(package, "qda maps")
    with _guarded(command="qda maps"):
        drafts = write_drafts(project, out, reference=package, force=force, line_breaks=line_breaks, char_units=char_units)
    if drafts.report.totals()["error"]:  # an unreadable project, or selections the import would refuse too
        _report_out(drafts.report, "text")
    if drafts.report.status == "unreadable":
        raise typer.Exit(2)
    if not drafts.files:
        err.print(f"[red]{_safe(project)} has no coded selections: there is nothing to map, and nothing was written.[/red]")
        raise typer.Exit(1)
    c = drafts.counts
    err.print(f"Wrote {', '.join(FILES)} to {_safe(out)}/ ({plural(c['selections'], 'coded selection')}). To fill in: "
              f"{plural(c['sources'], 'discussion id')}, {plural(c['labels'], 'role')}, {plural(c['users'], 'coder id')} "
              f"(blank cells). Then: pedcomm qda import {_safe(project)} --package PACKAGE --discussions "
              f"{_safe(out / 'discussions.csv')} --speakers {_safe(out / 'speakers.csv')} --coders {_safe(out / 'coders.csv')} "
              "--out NEW_FOLDER. The drafts hold your project's names: keep them at the site.", soft_wrap=True)


@app.command("export")
def export_cmd(
    path: Path | None = typer.Argument(None, help="A datapackage.json or its folder (default: the shipped example package)."),
    format: str = typer.Option(..., "--format", help="sav (SPSS), dta (Stata) or parquet."),
    out: Path = typer.Option(..., "--out", help="Folder to write one file per resource to (created; replaced only with --force)."),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Write every resource as SPSS, Stata or Parquet with the schemas' labels and missing values.

    The package is validated first; nothing is written when it has errors. Exit 0: written; 1: errors; 2: unreadable input or bad option.
    """
    from .commands.packages import default as default_package
    from .interop.exports import FORMATS, ExportError, export

    err = _console(stderr=True)
    format = (format or "").strip().lower()
    if format not in FORMATS:
        _option_error("--format", f"is {format!r}; it must be one of: {', '.join(FORMATS)}", command="export")
    path, which = default_package(path)
    if which:
        err.print(which, soft_wrap=True)
    with _guarded(command="export"):
        try:
            validated, written = export(path, format, out, force=force)
        except ExportError as e:
            err.print(f"[red]Not exported: {_safe(e)}. Nothing was written.[/red]")
            raise typer.Exit(1) from None
    if not written:
        _report_out(validated.report, "text")
        err.print(f"[red]Not exported: the package has errors (see above). Nothing was written to {_safe(out)}.[/red]")
        raise typer.Exit(validated.report.exit_code or 1)
    err.print(f"Wrote {plural(len(written), format + ' file')} to {_safe(out)}/.")


@app.command("import")
def import_cmd(
    path: Path = typer.Argument(..., help="A CSV, SPSS (.sav, .zsav) or Stata (.dta) file: one row per record, as a REDCap export holds them (and one per repeating form's instance, if any)."),
    out: Path = typer.Option(..., "--out", help="Folder to write the package to (created; replaced only with --force)."),
    crosswalk: Path | None = typer.Option(None, "--crosswalk", help="A crosswalk (CSV) from the file's own columns and codes to the standard's REDCap fields, as `pedcomm redcap crosswalk --dictionary FILE` drafts it; without it, the columns must be the standard's."),
    package: Path | None = typer.Option(None, "--package", help=_REFERENCE_HELP),
    format: str = typer.Option("text", "--format", help="Report as text (for people) or json (for machines)."),
    site: str | None = typer.Option(None, "--site", help="Your site id, declared in the package (default: the site of --package)."),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Import survey data a site keeps outside REDCap (CSV, SPSS or Stata) into a standard package, and validate it.

    Exit 0: valid; 1: errors; 2: unreadable, or refused by the crosswalk.
    """
    _import_records(path, out, package, format, site, crosswalk, force, "import")


# -- multi-site: pool rows, or share summaries and combine them (issue 6) -------------------------

def _configs(paths: list[Path]):
    """Site configurations for several packages; exits 2 (with the finding) if one is unusable."""
    out = []
    for p in paths:
        cfg = _site_config(p)
        if isinstance(cfg, Exception):
            _report_out(_config_report(cfg), "text")
            raise typer.Exit(2)
        out.append(cfg)
    return out


@app.command("pool")
def pool_cmd(
    sites: list[Path] = typer.Argument(..., help="The site packages (datapackage.json files or their folders)."),
    out: Path = typer.Option(..., "--out", help="Folder to write the pooled package to (created; replaced only with --force)."),
    config: list[Path] = typer.Option([], "--config", help="A site configuration (repeat for several); one naming a site applies to that site, one without to all."),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Validate every site package and pool them into one package with site-prefixed identifiers.

    Nothing is written if any site has errors, two sites share an id, or their standard versions are
    incompatible. Exit 0: pooled; 1: not pooled (see the per-site summary); 2: unreadable configuration or existing output.
    """
    from rich.table import Table as RichTable

    from .sites.pool import error_codes, pool
    from .validation.report.render import to_terminal

    err = _console(stderr=True)
    with _guarded(command="pool"):
        configs = _configs(config)
        with err.status("pooling ...") as status:
            outcome = pool(sites, out, configs=configs, force=force, protect=_protect(*config),
                           progress=lambda m: status.update(f"pooling: {m}"))
    console = _console()
    t = RichTable(title="Sites", title_justify="left")
    for col in ("Site", "Package", "Status", "Errors", "Warnings", "Codes"):
        t.add_column(col, overflow="fold")
    for s in outcome.sites:
        r = s.validated.report
        totals = r.totals()
        t.add_row(_safe(s.site or "(undeclared)"), _safe(s.path), r.status, str(totals["error"]),
                  str(totals["warning"]), ", ".join(error_codes(r)))
    console.print(t)
    for s in outcome.sites:
        if s.validated.report.status != "valid":
            console.print(f"\n[bold]Findings of site {_safe(s.label)} ({_safe(s.path)})[/bold]")
            to_terminal(s.validated.report, console)
    if outcome.result is not None and outcome.out is None:
        console.print("\n[bold]Findings of the pooled package[/bold]")
        to_terminal(outcome.result.report, console)
    if outcome.report.findings:
        console.print("\n[bold]Pooling[/bold]")
        to_terminal(outcome.report, console)
    if outcome.out is None or outcome.result is None:
        err.print(f"[red]Not pooled: see the findings above. Nothing was written to {_safe(out)}.[/red]")
        raise typer.Exit(1)
    n = {name: len(frame) for name, frame in outcome.result.tables.items()}
    err.print(f"Pooled {plural(len(outcome.sites), 'site')} into {_safe(out)}: "
              + ", ".join(f"{v} {k}" for k, v in n.items() if k in ("survey_relationships", "coding_segments"))
              + f"; the pooled package is {outcome.result.report.status}.")


def _disclosure(name: str):
    """A threshold of the sharing rules (SUMMARY_DISCLOSURE's parameters in the registry), for the
    option's default and help; None in a broken installation (main() then says what is wrong)."""
    from ._base import StandardMissing

    try:
        from .validation.registry import parameter

        return parameter("SUMMARY_DISCLOSURE", name)
    except StandardMissing:
        return None


@app.command("summarize")
def summarize_cmd(
    path: Path = typer.Argument(..., help="The site's package (a datapackage.json or its folder)."),
    out: Path = typer.Option(..., "--out", help="The summary JSON file to write; a readable HTML rendering of it is written beside it (.html)."),
    threshold: int = typer.Option(_disclosure("default_threshold"), help=f"Suppress every count below this (and complementary counts); at least {_disclosure('minimum_threshold')}, pedcomm's minimum (see the pooling guide)."),
    suppress_zeros: bool = typer.Option(False, "--suppress-zeros", help="Suppress zero counts too (by default zeros are shown, as DataSHIELD and CMS do)."),
    config: Path | None = typer.Option(None, "--config", help="The site configuration (site.yaml) to validate with."),
    method: str | None = typer.Option(None, help="Model estimator: gee or glm_cluster (default: survey.yaml's, gee). Every site must use the same."),
    cluster: str | None = typer.Option(None, help="Cluster by clinician, parent, site, or parent+clinician (two-way; the survey.yaml default)."),
    correction: str | None = typer.Option(None, help="Small-sample correction: bias_reduced (Mancl-DeRouen; the survey.yaml default) or none."),
    study: str | None = typer.Option(None, "--study", help="The study to summarize, for a package holding several (default: the first registered study the package holds)."),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Write what a site may share instead of rows: model coefficients, covariances and counts (survey study),
    agreement statistics (coding study), and descriptive tables with small cells suppressed. Exit 0: written; 1: the package has errors or cannot be summarized; 2: bad option or configuration."""
    from .analysis.suppress import DEFAULT_THRESHOLD, MAXIMUM_THRESHOLD, MINIMUM_THRESHOLD
    from .files.outputs import FILE, claim, write_together
    from .sites.summarize import NotSummarizable, check_options, dumps, summarize
    from .validation.report.render import to_terminal

    err = _console(stderr=True)
    if threshold < MINIMUM_THRESHOLD:
        _option_error("--threshold", f"is {threshold}; shared counts are suppressed below at least {MINIMUM_THRESHOLD} "
                                     f"(pedcomm's minimum; the default is {DEFAULT_THRESHOLD})", command="summarize")
    if threshold > MAXIMUM_THRESHOLD:
        _option_error("--threshold", f"is {threshold}; at most {MAXIMUM_THRESHOLD} (the summary format's limit)",
                      command="summarize")
    try:
        check_options(study, {"method": method, "cluster": cluster, "correction": correction})
    except ValueError as e:
        option = next((f"--{o}" for o in ("study", "method", "correction") if o in str(e)), "--cluster")
        _option_error(option, str(e), command="summarize")
    page = out.with_suffix(".html")
    if page == out:
        _option_error("--out", f"is {str(out)!r}; give the summary's JSON file name (the HTML page is written "
                               "beside it, with .html)", command="summarize")
    with _guarded(command="summarize"), \
            claim(out, kind=FILE, command="summarize", force=force, protect=_protect(("package", path), config)) as dest, \
            claim(page, kind=FILE, command="summarize", force=force, protect=_protect(("package", path), config, out)) as dest_page:
        (site_config,) = _configs([config]) if config else (None,)
        try:
            with err.status("summarizing ...") as status:
                result = summarize(path, threshold=threshold, zeros=suppress_zeros, method=method, cluster=cluster,
                                   correction=correction, config=site_config, study=study,
                                   progress=lambda m: status.update(f"summarizing: {m}"))
        except NotSummarizable as e:
            err.print(f"[red]Not summarized: {_safe(e)}. Nothing was written.[/red]")
            raise typer.Exit(1) from None
        if result.summary is None:
            to_terminal(result.validated.report, _console())
            err.print(f"[red]Not summarized: the package has errors (see above). Nothing was written to {_safe(out)}.[/red]")
            raise typer.Exit(result.validated.report.exit_code or 1)
        from .sites.summary_html import to_html

        text = dumps(result.summary)
        # one output: the JSON and the page that shows what it shares (for a privacy officer), both or neither
        write_together((dest, text.encode("utf-8")), (dest_page, to_html(result.summary, text).encode("utf-8")))
    for f in result.validated.report.sorted_findings():  # what a privacy officer should know before sending
        if f.code == "SITE_IDENTITY_EXAMPLE":
            err.print(f"[yellow]{f.code}: {_safe(f.message)} {_safe(f.action)}[/yellow]", soft_wrap=True)
    s = result.summary
    hidden = sum(t["suppressed"]["primary"] + t["suppressed"]["complementary"] for t in s["tables"])
    parts = []
    for key in ("models", "agreement"):  # the study's estimates: shared, or withheld with the reason
        if key in s:
            shared = [m["name"] for m in s[key] if m["status"] == "shared"]
            withheld = [f"{m['name']} ({m['reason']})" for m in s[key] if m["status"] != "shared"]
            parts.append(f"{key} shared: {', '.join(shared) or 'none'}" + (f"; withheld: {'; '.join(withheld)}" if withheld else ""))
    for m in s.get("models", []):  # what the site's fit found (separation, dominant clusters, few events): shared too
        for w in m.get("warnings", []) if m["status"] == "shared" else []:
            err.print(f"[yellow]{m['name']} model: {_safe(w)}[/yellow]", soft_wrap=True)
    err.print(f"Wrote the summary of site {_safe(s['site'])} to {_safe(out)}: {'; '.join(parts) or s['study']}"
              + f"; {plural(len(s['tables']), 'table')}, {plural(hidden, 'count')} suppressed (threshold {threshold}). "
              f"No row-level data. Read it in {_safe(page)} before sending it.")


@app.command("meta")
def meta_cmd(
    summaries: list[Path] = typer.Argument(..., help="Site summary files written by pedcomm summarize."),
    out: Path = typer.Option(..., "--out", help="Folder to write the results to (created; replaced only with --force)."),
    one_stage: Path | None = typer.Option(None, "--one-stage", help="A pooled package of the same sites: fit the one-stage model on its rows and set it beside the pooled estimates."),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Combine site summaries: random-effects pooled odds ratios, heterogeneity (I², tau²), forest
    plots and pooled descriptive tables. Exit 0: written; 1: summaries incompatible or the one-stage package invalid; 2: unreadable summary."""
    from .sites.meta import meta

    err = _console(stderr=True)
    with _guarded(command="meta"), err.status("combining ...") as status:
        result = meta(summaries, out, one_stage=one_stage, force=force, progress=lambda m: status.update(f"combining: {m}"))
    if result.report.findings:
        _report_out(result.report, "text")
    if result.out is None:
        err.print(f"[red]Not combined (see above). Nothing was written to {_safe(out)}.[/red]")
        raise typer.Exit(result.report.exit_code or 1)
    import pandas as pd

    estimates = result.estimates if result.estimates is not None else pd.DataFrame()
    pooled = estimates.dropna(subset=["odds_ratio"]) if "odds_ratio" in estimates else estimates.iloc[:0]
    what = (f"{len(pooled)} pooled odds ratios" if len(estimates)
            else f"{1 + len(result.extra)} pooled tables ({result.summaries[0].summary['study']} study)")
    err.print(f"Combined {len(result.summaries)} site summaries: {what}. "
              f"Results in {_safe(out)}/; start with {_safe(out / 'index.md')}.")


@app.command("dashboard")
def dashboard_cmd(
    files: list[Path] = typer.Argument(..., help="The sites' JSON validation reports (pedcomm validate --format json --output FILE), and their summaries (pedcomm summarize) if you have them."),
    out: Path = typer.Option(..., "--out", help="The HTML page to write (one file, opens in any browser)."),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Write a coordinating-centre dashboard: sites by checks, completeness by table, pooled estimates.

    Exit 0: written (files that are neither reports nor summaries are left out and listed); 1: none
    of the files is a report or a summary (nothing written); 2: a file given is a pipe, a device or
    too large, or the output cannot be written.
    """
    from .sites.dashboard import NothingToShow, dashboard

    err = _console(stderr=True)
    with _guarded(command="dashboard"):
        try:
            result = dashboard(files, out, force=force)
        except NothingToShow as e:
            for f in e.report.sorted_findings():
                err.print(f"[yellow]{f.code}: {_safe(f.message)}[/yellow]", soft_wrap=True)
            err.print(f"[red]None of the files is a validation report or a site summary; nothing was written to "
                      f"{_safe(out)}.[/red]", soft_wrap=True)
            raise typer.Exit(1) from None
    for f in result.report.sorted_findings():
        err.print(f"[yellow]{f.code}: {_safe(f.message)}[/yellow]", soft_wrap=True)
    bad = sum(r.data.get("status") != "valid" for r in result.sites)
    err.print(f"Wrote the dashboard of {plural(len(result.sites), 'site')} ({bad} with errors) and "
              f"{plural(len(result.summaries), 'summary', 'summaries')} to {_safe(out)}.", soft_wrap=True)


@app.command("standard")
def standard_cmd(
    out: Path = typer.Option(..., "--out", help="Folder to write the standard to (created; replaced only with --force)."),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Write the standard on its own, for a site or another tool to reuse without pedcomm.

    The folder holds every Table Schema, the check registry and its conformance suite, a JSON Schema
    of the package descriptor, the codebook (REFI-QDA), the REDCap data dictionary, an empty package
    template, a README, CITATION.cff, CHANGELOG.md and a manifest of SHA-256 hashes. Exit 0: written; 2: the output cannot be written (it exists, or is an input).
    """
    from . import standard
    from .commands.release import write

    with _guarded(command="standard"):
        files = write(out, force=force)
    _console(stderr=True).print(f"Wrote the pedcomm standard {standard.version()} ({len(files)} files) to {_safe(out)}/; "
                                f"start with {_safe(Path(out) / 'README.md')}.")


@app.command("init")
def init_cmd(
    site: str = typer.Option(..., "--site", help="Your site's id: 1 to 24 letters, digits, '_', '.' or '-' (e.g. BCH)."),
    name: str = typer.Option(..., "--name", help="Your institution's name, as it should appear in the site table."),
    out: Path = typer.Option(..., "--out", help="Folder to write the empty package to (created; replaced only with --force)."),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Write an empty package that declares your site: the standard's tables (headers only), the shared
    definitions, and your site's row.

    Fill data/ (or run pedcomm redcap import --package with this folder), then pedcomm validate.
    Exit 0: written; 2: a bad option or the output cannot be written.
    """
    from .commands.init import InitRefused, check, write

    try:
        check(site, name)
    except InitRefused as e:
        _option_error("--site" if "site id" in str(e) else "--name", str(e), command="init")
    with _guarded(command="init"):
        files = write(out, site, name, force=force)
    _console(stderr=True).print(f"Wrote the empty package of site {_safe(site)} ({len(files)} files) to {_safe(out)}/; "
                                f"next: fill {_safe(Path(out) / 'data')}/ or import your REDCap export into it, then "
                                f"pedcomm validate {_safe(out)}", soft_wrap=True)


@app.command("example")
def example_cmd(
    out: Path = typer.Option(..., "--out", help="Folder to write the example package to (created; replaced only with --force)."),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Write a copy of the shipped SYNTHETIC example package (both studies), to try every command on, with
    the files the site guides use beside it: site-files/ (REDCap exports, a coding site's tables, QDA project
    and maps) and validation/conformance/ (the conformance suite).

    The package is byte-identical to the one `pedcomm reproduce` uses when given no package. Exit 0: written; 2: the output cannot be written.
    """
    from .commands.release import SITE_FILES, write_example

    with _guarded(command="example"):
        files = write_example(out, force=force)
    _console(stderr=True).print(f"Wrote the SYNTHETIC example package to {_safe(out)}/ ({len(files)} files, with the "
                                f"guides' example files in {_safe(Path(out) / SITE_FILES)}/); try: pedcomm validate {_safe(out)}",
                                soft_wrap=True)


@app.command("explain")
def explain_cmd(code: str = typer.Argument(..., help="A finding code, such as FOREIGN_KEY (any case).")):
    """Explain a finding code: what it means and what to do, from the installed check registry.

    Exit 0: explained; 2: no such code (the closest ones are suggested).
    """
    from .commands.explain import entry_lines, lookup

    s, close = lookup(code)
    console = _console()
    if s is None:
        console.print(f"[red]There is no finding code {_safe(code)!r}.[/red]"
                      + (f" Did you mean: {', '.join(close)}?" if close else " pedcomm standard --out DIR writes the list."),
                      soft_wrap=True)
        raise typer.Exit(2)
    console.print(f"[bold]{s.code}[/bold]")
    for label, text in entry_lines(s.code):
        console.print(f"  [bold]{label}:[/bold] {_safe(text)}", soft_wrap=True)


@app.command("selftest")
def selftest_cmd():
    """Check this installation: the standard's files, the example package and the conformance suite.

    Exit 0: every check passed; 1: something is wrong (the message says what; reinstall pedcomm).
    """
    from rich.markup import escape

    from .commands.selftest import run

    console = _console()
    failures = 0
    with _console(stderr=True).status("checking ...") as status:  # what runs now, case by case (a minute)
        for ok, what in run(progress=lambda m: status.update(f"checking: {escape(m)}")):
            failures += not ok
            console.print(f"  {'[green]ok[/green]  ' if ok else '[red]FAIL[/red]'} {escape(what)}")
    if failures:
        console.print(f"[red]{plural(failures, 'check')} failed: this installation of pedcomm "
                      "is broken; reinstall it.[/red]")
        raise typer.Exit(1)
    console.print("[green]pedcomm works.[/green]")


def _tidy_help() -> None:
    from .commands.helptext import tidy

    tidy(app)


_tidy_help()


_add_federated()


def _tolerant_streams() -> None:
    """A terminal or pipe that cannot show a character (LC_ALL=C, PYTHONIOENCODING=ascii) gets an
    escape such as \\xe4 for it instead of stopping the run with UnicodeEncodeError."""
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass


def _stream_failed(e: OSError) -> None:
    """The terminal, pipe or file receiving pedcomm's messages failed (stdout on a full disk, /dev/full):
    say so on stderr as OUTPUT_WRITE_FAILED, and exit 2 (never a traceback)."""
    import os
    import sys

    from .files.outputs import WRITE_ERRORS

    what = WRITE_ERRORS.get(e.errno or 0) or e.strerror or type(e).__name__
    try:  # what is still buffered for the broken stream must not fail again when Python exits
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    try:
        print(f"pedcomm: OUTPUT_WRITE_FAILED: pedcomm's messages could not be written to the terminal, pipe or "
              f"file they were sent to ({what}); files already written are complete.", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
    sys.exit(2)


def main():  # console-script entry point
    import sys

    from ._base import StandardMissing

    _tolerant_streams()
    try:
        app()
    except StandardMissing as e:  # a broken installation: say so, without a traceback
        print(f"pedcomm: {e}", file=sys.stderr)
        sys.exit(2)
    except ModuleNotFoundError as e:  # another broken installation: a dependency missing (installed with --no-deps)
        if (e.name or "pedcomm").split(".")[0] == "pedcomm":
            raise
        print(f"pedcomm: the package '{e.name}' that pedcomm needs is not installed in this Python "
              f"({sys.executable}). Reinstall pedcomm with its dependencies (pipx reinstall pedcomm, or "
              "pip install --force-reinstall pedcomm); nothing was written.", file=sys.stderr)
        sys.exit(2)
    except OSError as e:
        if e.filename is not None:  # a file's own error that escaped its command's handling
            raise
        _stream_failed(e)
    try:
        sys.stdout.flush()  # a full /dev/full shows only here, when the last buffered output is written
    except OSError as e:
        _stream_failed(e)


if __name__ == "__main__":
    main()
