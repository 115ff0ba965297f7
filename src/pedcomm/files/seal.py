"""The seal that binds an output marker to the pedcomm that wrote it.

A marker (pedcomm.files.markers) lists the name and SHA-256 of every file pedcomm wrote. Anyone
can write such a list, so a marker alone proves nothing: a marker copied from elsewhere, written by
hand or edited to list a user's file would let ``--force`` replace that file. Each marker therefore
carries a seal, an HMAC-SHA256 of its content under a key only this user's pedcomm reads
(``marker-key`` in ``$PEDCOMM_STATE_DIR``, else ``$XDG_STATE_HOME/pedcomm``, else
``~/.local/state/pedcomm``; created on first use, readable by its owner alone). ``--force`` replaces
an output only when its marker's seal is one this key made, and the files are the ones it lists.

The key never leaves the computer and is not part of any output. A marker written by another
user, on another computer, or before the key existed is not recognised: pedcomm then refuses to
replace the output and says how to proceed (delete it yourself). When the key cannot be kept (a
read-only home folder), markers are written without a seal and ``--force`` replaces nothing.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path

ENV = "PEDCOMM_STATE_DIR"
KEY_NAME = "marker-key"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def key_path() -> Path | None:
    """Where this user's key is kept (None when there is no home folder to keep it in: never a
    folder made relative to where pedcomm runs)."""
    if os.environ.get(ENV):
        base = Path(os.environ[ENV])
    elif os.environ.get("XDG_STATE_HOME"):
        base = Path(os.environ["XDG_STATE_HOME"]) / "pedcomm"
    else:
        home = os.path.expanduser("~")
        if home.startswith("~") or os.environ.get("HOME") == "" or home == os.path.sep:
            return None
        base = Path(home) / ".local" / "state" / "pedcomm"
    return base / KEY_NAME if base.is_absolute() else None


def _read(path: Path) -> bytes | None:
    """The key at ``path``, or None when it is missing or not one to trust (a link, another owner's
    file, readable or writable by others, or not 64 hexadecimal digits)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o077 or st.st_size > 256:
            return None
        if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
            return None
        text = os.read(fd, 256).strip()
    finally:
        os.close(fd)
    try:
        return bytes.fromhex(text.decode("ascii")) if len(text) == 64 else None
    except (ValueError, UnicodeDecodeError):
        return None


def _create(path: Path) -> None:
    """Write a new key at ``path`` if none is there (atomically: a second run at once keeps the first)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{KEY_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o600)
    try:
        os.write(fd, secrets.token_hex(32).encode("ascii") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails when a key is already there: that one stays
    except FileExistsError:
        pass
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)):
            raise
        if not os.path.lexists(path):  # a file system without hard links
            os.rename(tmp, path)
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def key(create: bool = False) -> bytes | None:
    """This user's key (made when ``create`` and none exists); None when there is none to use."""
    path = key_path()
    if path is None:
        return None
    found = _read(path)
    if found is None and create and not os.path.lexists(path):
        try:
            _create(path)
        except OSError:
            return None
        found = _read(path)
    return found


def canonical(doc: dict) -> bytes:
    """The bytes a seal covers: the marker without its seal, in one fixed spelling."""
    body = {k: v for k, v in doc.items() if k != "seal"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def seal(doc: dict) -> str | None:
    """The seal of a marker's content, or None when no key can be kept."""
    k = key(create=True)
    return None if k is None else hmac.new(k, canonical(doc), hashlib.sha256).hexdigest()


def sealed(doc: dict) -> bool:
    """Whether the marker ``doc`` carries a seal this user's key made for exactly its content."""
    given = doc.get("seal")
    k = key()
    if not isinstance(given, str) or k is None:
        return False
    return hmac.compare_digest(given, hmac.new(k, canonical(doc), hashlib.sha256).hexdigest())
