"""The one way pedcomm writes an output, a folder or a single file.

Every writing command claims its output before doing any work::

    with claim(out, kind=FOLDER, command="reproduce", force=force, protect=package_files(pkg)) as dest:
        ...                                   # the work: validate, analyse
        with dest.staging() as tmp:           # a private temporary folder beside the output
            ...                               # write the files into tmp
    # here the output is complete, or untouched

What a claim guarantees, in the order it checks:

1. **Outputs never touch inputs.** The output may not be, contain, or lie inside any file the
   command reads (``protect``: package descriptors, resource and schema files, configurations,
   summaries, exports, QDA archives); a folder *beside* an input (``out/`` next to
   ``datapackage.json``) is fine (OUTPUT_OVERLAPS_INPUT).
2. **One run per output.** A lock file beside the output (``.NAME.pedcomm-lock``, held with
   ``flock``; the kernel releases it when the process dies, even by ``kill -9``) makes a second
   run on the same output stop at once (OUTPUT_LOCKED).
3. **Leftovers of killed runs are cleaned.** Temporaries (``.NAME.pedcomm-tmp-*``) are removed;
   a previous output set aside during a replacement (``.NAME.pedcomm-old-*``) is put back.
4. **Nothing pedcomm did not write is replaced.** An existing output needs ``--force``
   (OUTPUT_EXISTS), and even then it is replaced only if pedcomm wrote it and nobody changed it
   since (OUTPUT_FOREIGN): every output folder holds a marker, ``.pedcomm-output.json``, listing
   the SHA-256 of each file written and the tool and standard versions; a single-file output has
   the same marker beside it, ``.NAME.pedcomm-output.json``. Empty folders and empty files hold
   nothing to lose and are replaced without ``--force``.
5. **Atomic, private, recoverable writes.** Files are written into a temporary folder created
   with mode 0700 (no one else can read row-level data while it is written), which is then given
   the modes the user's umask asks for and renamed into place. Replacing an existing output swaps
   both atomically (``renameat2(RENAME_EXCHANGE)`` on Linux) or renames the old one aside first and
   puts it back if the second rename fails. SIGINT, SIGTERM and SIGHUP remove the temporary
   (they are held back while the output is being swapped in). A full disk, a read-only folder or
   a permission problem is OUTPUT_WRITE_FAILED, with nothing half-written.

Refusals raise ``OutputRefused`` (``code``, ``path``, ``detail``); the commands report it as a
coded finding and exit 2 (pedcomm.validation.refusals).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import interrupts, markers
from .interrupts import Interrupted  # noqa: F401  (re-exported: what the commands catch)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the lock falls back to an exclusive create
    fcntl = None  # type: ignore[assignment]

FOLDER, FILE = "folder", "file"
#: errno values that mean the output cannot be written, in words.
WRITE_ERRORS = {
    errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
    errno.EPERM: "the operation is not permitted", errno.EIO: "an input/output error of the disk",
    errno.EFBIG: "a file is too large for the file system", errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "a part of the path is a folder", errno.ENAMETOOLONG: "the name is too long",
    errno.EEXIST: "a file is in the way", errno.EXDEV: "the temporary and the output are on different disks",
    errno.EBUSY: "the output is in use (a mount point?)", errno.ENOTEMPTY: "a folder is in the way",
}


class OutputRefused(Exception):
    """The output must not or cannot be written; nothing was (pedcomm.validation.refusals reports it)."""

    def __init__(self, code: str, path: Path, detail: str):
        super().__init__(f"{code}: {path}: {detail}")
        self.code, self.path, self.detail = code, Path(path), detail


def write_failed(path: Path, e: OSError) -> OutputRefused:
    what = (WRITE_ERRORS.get(e.errno) if e.errno is not None else None) or (e.strerror or type(e).__name__)
    where = f" ({e.filename})" if getattr(e, "filename", None) and str(e.filename) != str(path) else ""
    return OutputRefused("OUTPUT_WRITE_FAILED", path, f"it could not be written: {what}{where}")


def umask() -> int:
    """The process's umask (read without changing it for more than an instant)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


_UMASK_LOCK = threading.Lock()


def _real(p: str | Path) -> Path:
    return Path(os.path.abspath(p)).resolve()


def overlap(out: Path, protect: Iterable[str | Path]) -> str | None:
    """Why ``out`` touches one of the inputs ``protect`` (None when it does not)."""
    o = _real(out)
    try:
        o_st = os.stat(o) if o.is_file() else None
    except OSError:
        o_st = None
    for p in protect:
        r = _real(p)
        if o == r:
            return f"is the input {p}"
        if o in r.parents:
            return f"would hold the input {p}, which the command reads"
        if r in o.parents and not r.is_dir():
            return f"lies inside the input {p}"
        if o_st is not None:
            try:
                st = os.stat(r)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == (o_st.st_dev, o_st.st_ino):
                return f"is the same file as the input {p} (a link to it)"
    return None


# -- renames ------------------------------------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False when the system cannot."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        try:
            p.unlink()
        except OSError:
            pass


class Destination:
    """A claimed output: where to write, and how (see the module docstring)."""

    def __init__(self, path: str | Path, kind: str, command: str, force: bool):
        if kind not in (FOLDER, FILE):
            raise ValueError(kind)
        self.given = Path(path)
        self.path = Path(os.path.abspath(path))
        self.kind, self.command, self.force = kind, command, force
        self.name = self.path.name
        self.parent = self.path.parent
        self.committed = False
        self._lock_fd: int | None = None
        self._created: list[Path] = []
        self._temps = re.compile(rf"^\.{re.escape(self.name)}\.pedcomm-(tmp|old)-\d+-[A-Za-z0-9_]+$")

    def refuse(self, code: str, detail: str) -> OutputRefused:
        return OutputRefused(code, self.given, detail)

    # -- claim steps ----------------------------------------------------------------------------
    def check_overlap(self, protect: Iterable[str | Path]) -> None:
        if not self.name or self.path == self.path.parent:
            raise self.refuse("OUTPUT_FOREIGN", "it is the root of the file system")
        why = overlap(self.path, protect)
        if why:
            raise self.refuse("OUTPUT_OVERLAPS_INPUT", why)
        here, real = _real(os.getcwd()), _real(self.path)
        if real == here or real in here.parents:
            raise self.refuse("OUTPUT_FOREIGN", "it is the folder you are working in (or holds it). "
                                                "Write into a new folder inside it instead, such as --out out")

    def make_parent(self) -> None:
        missing = []
        p = self.parent
        while not p.exists():
            if p.is_symlink():  # a dangling link: mkdir would fail
                break
            missing.append(p)
            p = p.parent
        for d in reversed(missing):
            try:
                d.mkdir()
            except FileExistsError:
                continue
            except OSError as e:
                raise write_failed(self.given, e) from None
            self._created.append(d)
        if not self.parent.is_dir():
            raise self.refuse("OUTPUT_WRITE_FAILED", f"it could not be written: {self.parent} is not a folder")

    def lock(self) -> None:
        lock = self.parent / f".{self.name}.pedcomm-lock"
        while True:
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
                             | (0 if fcntl else os.O_EXCL), 0o600)
            except FileExistsError:  # pragma: no cover - no flock: another run holds the lock file
                raise self.refuse("OUTPUT_LOCKED", "another pedcomm run is writing it") from None
            except OSError as e:
                raise write_failed(self.given, e) from None
            if fcntl is None:  # pragma: no cover
                break
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 64).decode("ascii", "replace").strip()
                os.close(fd)
                who = f" (process {holder})" if holder.isdigit() else ""
                raise self.refuse("OUTPUT_LOCKED", f"another pedcomm run{who} is writing it") from None
            except OSError as e:  # a file system without locks
                os.close(fd)
                raise write_failed(self.given, e) from None
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(lock))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the run before us removed the file after we opened it: take the new one
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._lock_fd, self._lock_path = fd, lock

    def unlock(self) -> None:
        if self._lock_fd is None:
            return
        try:
            os.unlink(self._lock_path)  # before releasing: a waiting run then sees a new file
        except OSError:
            pass
        os.close(self._lock_fd)
        self._lock_fd = None

    def recover(self) -> None:
        """Remove what runs killed on this output left; put back an output set aside by one."""
        try:
            entries = [e for e in os.scandir(self.parent) if self._temps.match(e.name)]
        except OSError:
            return
        for e in sorted(entries, key=lambda e: e.name):
            p = Path(e.path)
            if "-old-" in e.name and not os.path.lexists(self.path):
                try:
                    os.rename(p, self.path)
                    continue
                except OSError:
                    pass
            _remove(p)

    def check_existing(self) -> None:
        p = self.path
        if not os.path.lexists(p):
            return
        if p.is_symlink():
            raise self.refuse("OUTPUT_FOREIGN", "it is a symbolic link; pedcomm does not replace links. "
                                                "Choose another output path")
        st = os.stat(p)
        if self.kind == FOLDER:
            if not stat.S_ISDIR(st.st_mode):
                raise self.refuse("OUTPUT_FOREIGN", f"it is {_kind(st.st_mode)}, not a folder. Choose another output path")
            if not [n for n in os.listdir(p) if n not in markers.CLUTTER]:
                return  # an empty folder: nothing to lose
            why = None if not self.force else markers.foreign_folder(p)
        else:
            if not stat.S_ISREG(st.st_mode):
                raise self.refuse("OUTPUT_FOREIGN", f"it is {_kind(st.st_mode)}, not a file. Choose another output path")
            if st.st_size == 0:
                return
            why = None if not self.force else markers.foreign_file(p)
        if not self.force:  # say whose it is (its marker, read cheaply), not again that it exists
            marker = markers.read_marker(p / markers.MARKER if self.kind == FOLDER else markers.sidecar(p))
            raise self.refuse("OUTPUT_EXISTS", "pedcomm wrote it before, and --force replaces it" if isinstance(marker, dict)
                              else f"{marker}: even --force will not replace it")
        if why:
            raise self.refuse("OUTPUT_FOREIGN", f"{why}. pedcomm never replaces it, even with --force: "
                                                "choose another output path, or move or delete it yourself")

    # -- writing ----------------------------------------------------------------------------------
    def _mkdtemp(self) -> Path:
        try:
            return Path(tempfile.mkdtemp(prefix=f".{self.name}.pedcomm-tmp-{os.getpid()}-", dir=self.parent))
        except OSError as e:
            raise write_failed(self.given, e) from None

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A private temporary folder; on success it becomes the output (FOLDER outputs)."""
        if self.kind != FOLDER:
            raise ValueError("staging() is for folder outputs; use write_bytes or staged_file")
        tmp = self._mkdtemp()
        with self._removed_on_failure(tmp):
            yield tmp
            files = markers.hash_tree(tmp)
            (tmp / markers.MARKER).write_bytes(markers.marker(self.command, files))
            self.check_existing()  # again: the output may have changed during a long run
            with interrupts.held():
                self._swap_in(tmp)

    @contextmanager
    def _removed_on_failure(self, tmp: Path) -> Iterator[None]:
        """Any failure removes the temporary folder; a full disk or a read-only folder becomes OUTPUT_WRITE_FAILED."""
        try:
            yield
        except OSError as e:
            _remove(tmp)
            if e.errno in WRITE_ERRORS:
                raise write_failed(self.given, e) from None
            raise
        except BaseException:
            _remove(tmp)
            raise

    def _swap_in(self, tmp: Path) -> None:
        os.chmod(tmp, 0o777 & ~umask())
        if os.path.lexists(self.path):
            if _exchange(tmp, self.path):
                old = tmp  # the temporary now holds the previous output
            else:
                old = self.parent / tmp.name.replace("-tmp-", "-old-", 1)
                os.rename(self.path, old)
                try:
                    os.rename(tmp, self.path)
                except BaseException:
                    os.rename(old, self.path)  # put the previous output back
                    raise
            self.committed = True
            _remove(old)
        else:
            os.rename(tmp, self.path)
            self.committed = True

    @contextmanager
    def staged_file(self) -> Iterator[Path]:
        """A temporary path to write the single-file output to; on success it replaces the output."""
        if self.kind != FILE:
            raise ValueError("staged_file() is for file outputs; use staging()")
        tmpdir = self._mkdtemp()
        target = tmpdir / self.name
        with self._removed_on_failure(tmpdir):
            yield target
            digest = markers.sha256_file(target)
            hashes = [digest]
            if os.path.lexists(self.path) and self.path.is_file() and not self.path.is_symlink():
                previous = markers.sha256_file(self.path)
                if previous != digest:
                    hashes.append(previous)  # the marker is swapped in first: both versions are pedcomm's
            self.check_existing()
            mark = tmpdir / markers.sidecar(self.path).name
            mark.write_bytes(markers.marker(self.command, {self.name: hashes}))
            mode = 0o666 & ~umask()
            os.chmod(target, mode)
            os.chmod(mark, mode)
            with interrupts.held():
                os.replace(mark, markers.sidecar(self.path))
                os.replace(target, self.path)
                self.committed = True
        _remove(tmpdir)

    def write_bytes(self, data: bytes) -> Path:
        with self.staged_file() as tmp:
            tmp.write_bytes(data)
        return self.path

    def write_text(self, text: str) -> Path:
        return self.write_bytes(text.encode("utf-8"))

    def abandon(self) -> None:
        """Remove the folders the claim created (when nothing was written)."""
        for d in reversed(self._created):
            try:
                d.rmdir()
            except OSError:
                break


def _kind(mode: int) -> str:
    from .inputs import kind_of

    return "a regular file" if stat.S_ISREG(mode) else kind_of(mode)


@contextmanager
def claim(path: str | Path, *, kind: str, command: str, force: bool = False,
          protect: Iterable[str | Path] = ()) -> Iterator[Destination]:
    """Claim ``path`` as the output of ``command`` (see the module docstring); raises OutputRefused."""
    dest = Destination(path, kind, command, force)
    dest.check_overlap(list(protect))
    try:
        dest.make_parent()
        dest.lock()
        dest.recover()
        dest.check_existing()
        with interrupts.catching():
            yield dest
    finally:
        dest.unlock()
        if not dest.committed:
            dest.abandon()
