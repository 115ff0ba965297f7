"""Help texts as a person reads them: plain type names, whole sentences.

Typer 0.29 shows an option's type as ``<bool>``, ``<path>``, ``<int>`` or ``<list[Path]>`` and a
required argument in the usage line as ``{path}``: notation for programmers, and ``<bool>`` beside a
flag that takes no value at all. Click's own convention, which the rest of the command-line world
follows, is an upper-case word (``PATH``, ``INTEGER``, ``TEXT``; ``PATH...`` for several; nothing
for a flag). Typer has no setting for this, so ``tidy`` replaces the two methods that render them
(checked by tests/test_help.py at 80 and 120 columns; if a Typer upgrade renames them, nothing is
patched and that test says so).

``tidy`` also joins each paragraph of a command's docstring into one line, so that Rich wraps
sentences at the terminal's width instead of breaking them where the source code did.
"""

from __future__ import annotations

import inspect

#: Typer's type label -> the word shown.
WORDS = {"bool": None, "path": "PATH", "file": "FILE", "directory": "FOLDER", "int": "INTEGER", "float": "NUMBER",
         "str": "TEXT", "Path": "PATH"}


def _word(label: str | None) -> str | None:
    if label is None:
        return None
    inner = label[1:-1] if label.startswith("<") and label.endswith(">") else label
    if inner.startswith("list[") and inner.endswith("]"):
        word = _word(inner[5:-1])
        return f"{word}..." if word else None
    if inner in WORDS:
        return WORDS[inner]
    return inner.upper() if inner.isidentifier() else inner


def patch_types() -> bool:
    """Make Typer show upper-case type words and plain argument names; False when Typer changed."""
    from typer import core

    option, argument = getattr(core, "TyperOption", None), getattr(core, "TyperArgument", None)
    if option is None or argument is None or not hasattr(argument, "_usage_display_name"):
        return False
    if getattr(core, "_pedcomm_tidy", False):
        return True
    for cls in (option, argument):
        original = cls.display_type_rich

        def display_type_rich(self, ctx, _original=original):
            if getattr(self, "is_flag", False) and not getattr(self, "count", False):
                return None  # a flag takes no value
            if self.metavar is not None:
                return self.metavar
            return _word(_original(self, ctx))

        cls.display_type_rich = display_type_rich

    def usage_name(self) -> str:
        name = self.metavar or self.display_name_raw.upper()
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    argument._usage_display_name = usage_name
    setattr(core, "_pedcomm_tidy", True)  # noqa: B010  (a marker on a third-party module: no attribute declared there)
    return True


def reflow(doc: str | None) -> str | None:
    """Each paragraph of a docstring on one line (paragraphs stay apart)."""
    if not doc:
        return doc
    return "\n\n".join(" ".join(p.split()) for p in inspect.cleandoc(doc).split("\n\n"))


def tidy(app) -> None:
    """Reflow the docstrings of every command of ``app`` and of its sub-apps, and patch the types."""
    patch_types()
    for cmd in app.registered_commands:
        if cmd.callback is not None:
            cmd.callback.__doc__ = reflow(cmd.callback.__doc__)
        if cmd.help:
            cmd.help = reflow(cmd.help)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            info = group.typer_instance.info
            if isinstance(info.help, str):
                info.help = reflow(info.help)
            tidy(group.typer_instance)
    if app.registered_callback is not None and app.registered_callback.callback is not None:
        app.registered_callback.callback.__doc__ = reflow(app.registered_callback.callback.__doc__)
