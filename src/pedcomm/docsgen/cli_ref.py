"""The CLI reference, read from the typer app itself (its Click command tree), so it cannot drift."""

from __future__ import annotations

import inspect

import typer

from .md import BANNER, code, fence, table


def _commands(cmd, ctx):
    """Depth-first (command, context) pairs; groups before their subcommands."""
    yield cmd, ctx
    for name, sub in sorted(getattr(cmd, "commands", {}).items()):
        if getattr(sub, "hidden", False):
            continue
        yield from _commands(sub, cmd.context_class(sub, parent=ctx, info_name=name))


def anchor(ctx) -> str:
    return ctx.command_path.replace(" ", "-")


def command_section(cmd, ctx) -> str:
    level = "#" * min(4, 1 + ctx.command_path.count(" ") + 1)
    usage = f"{ctx.command_path} {' '.join(cmd.collect_usage_pieces(ctx))}".strip()
    lines = [f"{level} {ctx.command_path} {{#{anchor(ctx)}}}", "", fence(usage, "text")]
    helptext = inspect.cleandoc(cmd.help or "")
    if helptext:
        lines += [helptext, ""]
    rows = []
    for p in cmd.get_params(ctx):
        record = p.get_help_record(ctx)
        if record is None:
            continue
        names, text = record
        kind = "argument" if getattr(p, "param_type_name", "") == "argument" else "option"
        rows.append([code(names), kind, text])
    if rows:
        lines += [table(["Parameter", "Kind", "Help"], rows), ""]
    subs = {n: s for n, s in getattr(cmd, "commands", {}).items() if not getattr(s, "hidden", False)}
    if subs:
        lines += [table(["Command", "What it does"],
                        [[f"[{ctx.command_path} {n}](#{anchor(ctx)}-{n})", s.get_short_help_str(limit=200)]
                         for n, s in sorted(subs.items())]), ""]
    return "\n".join(lines)


def page(app: typer.Typer | None = None, prog: str = "pedcomm") -> str:
    if app is None:
        from ..cli import app as cli_app

        app = cli_app
    root = typer.main.get_command(app)
    ctx = root.context_class(root, info_name=prog)
    out = [BANNER.format(source="the typer app in src/pedcomm/cli.py"), "# Command-line reference", "",
           f"Every command of {code(prog)}, with its arguments and options, read from the command itself. "
           f"The same text is shown by {code(prog + ' COMMAND --help')}.", ""]
    for cmd, c in _commands(root, ctx):
        out.append(command_section(cmd, c))
    return "\n".join(out)


def command_paths(app: typer.Typer | None = None, prog: str = "pedcomm") -> list[str]:
    if app is None:
        from ..cli import app as cli_app

        app = cli_app
    root = typer.main.get_command(app)
    return [c.command_path for _, c in _commands(root, root.context_class(root, info_name=prog))]
