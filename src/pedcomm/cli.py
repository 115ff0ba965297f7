"""The pedcomm command line. Heavy libraries are imported inside commands, so --help answers at once."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="pedcomm: validate, generate and analyse pediatric-oncology communication data packages.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
synth_app = typer.Typer(help="Generate SYNTHETIC example packages calibrated to the published figures.",
                        no_args_is_help=True)
app.add_typer(synth_app, name="synth")


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=160 if not stderr else None)


@app.command()
def validate(
    path: Path = typer.Argument(..., help="A datapackage.json or the folder holding it."),
    format: str = typer.Option("text", "--format", help="text (for people) or json (for machines)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report to this file instead of the screen."),
    max_findings: int = typer.Option(100, help="Findings listed per check, resource and field (all are counted)."),
    show_values: bool = typer.Option(False, "--show-values", help="Print suspected identifying values in full (they are masked by default)."),
):
    """Check a package against the pedcomm standard. Exit 0: no errors; 1: errors; 2: unreadable input."""
    from .checks import __name__ as _  # noqa: F401  (registers the checks)
    from .render import to_json, to_terminal
    from .validate import validate as run

    if format not in ("text", "json"):
        _console(True).print("[red]--format must be 'text' or 'json'[/red]")
        raise typer.Exit(2)
    console = _console(stderr=True)
    with console.status("validating ...") as status:
        result = run(path, max_listed=max_findings, reveal_values=show_values,
                     progress=lambda m: status.update(f"validating: {m}"))
    report = result.report
    if format == "json":
        text = to_json(report)
        if output:
            from .atomic import write_text

            write_text(output, text)
        else:
            typer.echo(text, nl=False)
    else:
        if output:
            from rich.console import Console

            from .atomic import write_text

            c = Console(record=True, width=160, file=open("/dev/null", "w"))
            to_terminal(report, c)
            write_text(output, c.export_text())
        else:
            to_terminal(report, _console())
    raise typer.Exit(report.exit_code)


def _synth(study: str, seed: int, out: Path, force: bool):
    from .synth import write_package

    console = _console(stderr=True)
    with console.status(f"generating synthetic {study} package (seed {seed}) ..."):
        try:
            write_package(study, seed=seed, out=out, force=force)
        except FileExistsError as e:
            console.print(f"[red]{e}[/red]")
            raise typer.Exit(2)
    console.print(f"Wrote a SYNTHETIC {study} package (seed {seed}) to {out}")


@synth_app.command("survey")
def synth_survey(seed: int = typer.Option(2021, help="Random seed; the same seed gives byte-identical files."),
                 out: Path = typer.Option(..., "--out", help="Folder to write the package to."),
                 force: bool = typer.Option(False, help="Replace the folder if it exists.")):
    """A synthetic survey-study package (400 parents, 80 clinicians, 676 relationships)."""
    _synth("survey", seed, out, force)


@synth_app.command("all")
def synth_all(seed: int = typer.Option(2021, help="Random seed; the same seed gives byte-identical files."),
              out: Path = typer.Option(..., "--out", help="Folder to write the package to."),
              force: bool = typer.Option(False, help="Replace the folder if it exists.")):
    """Both studies in one package: the shipped example package is this output for seed 2021."""
    _synth("all", seed, out, force)


def main():  # console-script entry point
    app()


if __name__ == "__main__":
    main()
