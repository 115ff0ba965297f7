"""A site's audit file: every message it sends, written before it is sent.

One JSON object per line (JSON Lines), in the order sent: the round, the kind of request it
answers and the task of each model, the site's status and findings, the counts it reports in
round 0, and for every array its model, name, shape and the SHA-256 of its bytes as sent (float64,
little-endian, C order: ``hashlib.sha256(numpy.ascontiguousarray(a, '<f8').tobytes())``), so a
privacy officer can read what left the site and check it against what the centre received.
Each line is flushed to disk before the message goes.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from pathlib import Path

import numpy as np

from .protocol import Reply, Request


def digest(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<f8").tobytes()).hexdigest()


def record(request: Request, reply: Reply) -> dict:
    return {
        "round": request.round, "kind": request.kind, "site": reply.site, "status": reply.status,
        "tasks": {m: kind for m, (kind, _) in request.tasks.items()},
        "findings": reply.findings, "info": reply.info,
        "arrays": [{"model": m, "name": n, "shape": list(np.shape(a)), "sha256": digest(a)}
                   for m, named in reply.arrays.items() for n, a in named.items()],
    }


def write(path: str | Path, request: Request, reply: Reply) -> None:
    """Append the reply's record to the audit file and flush it to disk.

    The audit file is pedcomm's own: the first record creates it (never through a link, never over
    a file already there), later ones append to it only while it is still a plain file of one name
    (a link or a hard link planted at its path in the meantime is refused with OSError, and the
    message is not sent)."""
    line = json.dumps(record(request, reply), sort_keys=True, ensure_ascii=False) + "\n"
    flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fd = os.open(path, flags)  # ELOOP on a link
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
            os.close(fd)
            raise OSError(errno.EPERM, "the audit file is no longer the plain file pedcomm made", str(path)) from None
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def read(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
