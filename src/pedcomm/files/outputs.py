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
   run on the same output stop at once (OUTPUT_LOCKED). The lock is opened with ``O_NOFOLLOW``
   and used only when it is a regular file with one name holding a process id (or nothing): a
   link, a hard link, a folder, a pipe or a user's file at that path is never followed, changed or
   removed (OUTPUT_FOREIGN).
3. **Leftovers of killed runs are cleaned, and nothing else.** Temporaries (``.NAME.pedcomm-tmp-*``)
   are removed and a previous output set aside during a replacement (``.NAME.pedcomm-old-*``) is
   put back, but only when pedcomm made them: a real folder of this user holding pedcomm's stamp
   (``.pedcomm-staging``, written with ``O_EXCL|O_NOFOLLOW`` when the temporary is made) or a
   complete output with a valid marker. A folder or a link of someone else's at such a name stays.
4. **Nothing pedcomm did not write is replaced.** An existing output needs ``--force``
   (OUTPUT_EXISTS), and even then it is replaced only if pedcomm wrote it and nobody changed it
   since (OUTPUT_FOREIGN): every output folder holds a marker, ``.pedcomm-output.json``, listing
   the SHA-256 of each file written, the tool and standard versions, and a seal binding the list
   to this user's pedcomm (pedcomm.files.seal), so a marker written by hand, copied or edited is
   not pedcomm's; a single-file output has the same marker beside it, ``.NAME.pedcomm-output.json``,
   and nothing but such a marker is ever replaced at that path. Empty folders and empty files hold
   nothing to lose and are replaced without ``--force``.
5. **Atomic, private, recoverable writes.** Files are written into a temporary folder created
   with mode 0700 (no one else can read row-level data while it is written), which is then given
   the modes the user's umask asks for and renamed into place. Replacing an existing output swaps
   both atomically (``renameat2(RENAME_EXCHANGE)`` on Linux) or renames the old one aside first and
   puts it back if the second rename fails. SIGINT, SIGTERM and SIGHUP remove the temporary
   (they are held back while the output is being swapped in). A full disk, a read-only folder or
   a permission problem is OUTPUT_WRITE_FAILED, with nothing half-written. Several single files
   that make one output (``summarize``'s JSON and its HTML page) are written together
   (``write_together``): all are written first, then put in place, or none is.

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
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
#: The stamp in every temporary folder pedcomm makes (removed once the folder holds its marker):
#: a later run removes a killed run's temporary only when the stamp or a valid marker is in it.
STAMP, STAMP_TEXT = ".pedcomm-staging", b"pedcomm temporary folder: the next pedcomm run on this output removes it\n"
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


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` for pedcomm's own use (the umask applies): never through a link, never over an existing file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


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
            self._check_own(lock, "lock")
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _NONBLOCK | getattr(os, "O_CLOEXEC", 0)
                             | (0 if fcntl else os.O_EXCL), 0o600)
            except FileExistsError:  # pragma: no cover - no flock: another run holds the lock file
                raise self.refuse("OUTPUT_LOCKED", "another pedcomm run is writing it") from None
            except OSError as e:
                if e.errno == errno.ELOOP:  # a link put there after the look: never followed
                    raise self._taken(lock, "lock", "a symbolic link") from None
                raise write_failed(self.given, e) from None
            try:
                self._check_lock_file(fd, lock)
            except BaseException:
                os.close(fd)
                raise
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
                same = os.path.samestat(os.fstat(fd), os.lstat(lock))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the run before us removed the file after we opened it: take the new one
        self._lock_fd, self._lock_path = fd, lock
        try:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode("ascii"))
        except OSError as e:  # a full disk: the lock is held all the same, and removed by unlock()
            if e.errno not in WRITE_ERRORS:
                self.unlock()
                raise write_failed(self.given, e) from None

    def _taken(self, path: Path, what: str, kind: str) -> OutputRefused:
        return self.refuse("OUTPUT_FOREIGN", f"the path pedcomm keeps for its {what}, {path.name}, holds {kind} that "
                                             "pedcomm did not make; pedcomm never follows, changes or removes it. Move "
                                             "or delete it yourself, or choose another output path")

    def _check_own(self, path: Path, what: str) -> None:
        """Refuse when ``path`` (where pedcomm keeps its lock or a marker) holds what pedcomm does not make there."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return
        except OSError as e:
            raise write_failed(self.given, e) from None
        if stat.S_ISLNK(st.st_mode):
            raise self._taken(path, what, "a symbolic link")
        if not stat.S_ISREG(st.st_mode):
            raise self._taken(path, what, _kind(st.st_mode))

    def _check_lock_file(self, fd: int, lock: Path) -> None:
        """The opened lock is a file pedcomm makes: regular, one name, small, a process id or empty."""
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise self._taken(lock, "lock", _kind(st.st_mode))
        if st.st_nlink != 1:
            raise self._taken(lock, "lock", "a file with another name elsewhere (a hard link)")
        if st.st_size > 32 or (st.st_size and not os.pread(fd, 32, 0).strip().isdigit()):
            raise self._taken(lock, "lock", "a file")

    def unlock(self) -> None:
        if self._lock_fd is None:
            return
        try:
            if os.path.samestat(os.fstat(self._lock_fd), os.lstat(self._lock_path)):
                os.unlink(self._lock_path)  # before releasing: a waiting run then sees a new file
        except OSError:
            pass
        os.close(self._lock_fd)
        self._lock_fd = None

    def _ours(self, p: Path) -> bool:
        """Whether the leftover ``p`` (named like a temporary) is one pedcomm made: a real folder
        of this user holding pedcomm's stamp, or a complete output with a valid marker."""
        try:
            st = os.lstat(p)
        except OSError:
            return False
        if not stat.S_ISDIR(st.st_mode) or (hasattr(os, "geteuid") and st.st_uid != os.geteuid()):
            return False
        try:
            stamp = os.lstat(p / STAMP)
            if stat.S_ISREG(stamp.st_mode) and stamp.st_size == len(STAMP_TEXT) and (p / STAMP).read_bytes() == STAMP_TEXT:
                return True
        except OSError:
            pass
        return os.path.lexists(p / markers.MARKER) and markers.foreign_folder(p) is None

    def recover(self) -> None:
        """Remove what runs killed on this output left; put back an output set aside by one.

        Only folders pedcomm made are touched (see ``_ours``): anything else named like a temporary
        stays where it is."""
        try:
            entries = [e for e in os.scandir(self.parent) if self._temps.match(e.name)]
        except OSError:
            return
        for e in sorted(entries, key=lambda e: e.name):
            p = Path(e.path)
            if not self._ours(p):
                continue
            if "-old-" in e.name and not os.path.lexists(self.path):
                try:
                    os.rename(p, self.path)
                    continue
                except OSError:
                    pass
            _remove(p)

    def check_existing(self) -> None:
        p = self.path
        if self.kind == FILE:  # the marker's place beside it: nothing there that pedcomm did not write
            mark = markers.sidecar(p)
            self._check_own(mark, "marker")
            if markers.own_marker(mark) and (not os.path.lexists(p) or (os.path.isfile(p) and os.path.getsize(p) == 0)):
                raise self._taken(mark, "marker", "a file")
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
        """A new private folder beside the output (mkdir: never a link followed, never an existing
        folder reused), stamped as pedcomm's so a later run may remove it if this one is killed."""
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{self.name}.pedcomm-tmp-{os.getpid()}-", dir=self.parent))
        except OSError as e:
            raise write_failed(self.given, e) from None
        try:
            fd = os.open(tmp / STAMP, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
            try:
                os.write(fd, STAMP_TEXT)
            finally:
                os.close(fd)
        except OSError as e:
            _remove(tmp)
            raise write_failed(self.given, e) from None
        return tmp

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A private temporary folder; on success it becomes the output (FOLDER outputs)."""
        if self.kind != FOLDER:
            raise ValueError("staging() is for folder outputs; use write_bytes or staged_file")
        tmp = self._mkdtemp()
        with self._removed_on_failure(tmp):
            yield tmp
            files = markers.hash_tree(tmp)
            files.pop(STAMP, None)
            _write_new(tmp / markers.MARKER, markers.marker(self.command, files))
            os.unlink(tmp / STAMP)  # the marker now says the folder is pedcomm's
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
        with self._removed_on_failure(tmpdir):
            yield tmpdir / self.name
            _put_in_place([self._sealed(tmpdir)])
        _remove(tmpdir)

    def _sealed(self, tmpdir: Path) -> tuple[Destination, Path]:
        """The file written at ``tmpdir/NAME``, with its marker beside it, checked ready to go in place."""
        target = tmpdir / self.name
        digest = markers.sha256_file(target)
        hashes = [digest]
        if os.path.lexists(self.path) and self.path.is_file() and not self.path.is_symlink():
            previous = markers.sha256_file(self.path)
            if previous != digest:
                hashes.append(previous)  # the marker is swapped in first: both versions are pedcomm's
        self.check_existing()
        mark = tmpdir / markers.sidecar(self.path).name
        _write_new(mark, markers.marker(self.command, {self.name: hashes}))
        mode = 0o666 & ~umask()
        os.chmod(target, mode)
        os.chmod(mark, mode)
        return self, tmpdir

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


def _set_aside(path: Path, keep: Path) -> bool:
    """Keep the file at ``path`` as ``keep`` too (a hard link, else a copy); False when there is none."""
    if not os.path.lexists(path):
        return False
    try:
        os.link(path, keep, follow_symlinks=False)
    except OSError as e:
        if e.errno in WRITE_ERRORS and e.errno not in (errno.EPERM, errno.EXDEV):
            raise
        shutil.copy2(path, keep, follow_symlinks=False)  # a file system without hard links
    return True


def _put_in_place(staged: list[tuple[Destination, Path]]) -> None:
    """Put single-file outputs, each written with its marker in its temporary folder, in place:
    all of them, or none (those already in place are put back as they were)."""
    done: list[tuple[Destination, Path, bool, bool]] = []
    with interrupts.held():
        try:
            for dest, tmpdir in staged:
                mark = markers.sidecar(dest.path)
                had = _set_aside(dest.path, tmpdir / ".previous") if len(staged) > 1 else False
                had_mark = _set_aside(mark, tmpdir / ".previous-marker") if len(staged) > 1 else False
                done.append((dest, tmpdir, had, had_mark))
                os.replace(tmpdir / mark.name, mark)
                os.replace(tmpdir / dest.name, dest.path)
        except BaseException:
            for dest, tmpdir, had, had_mark in reversed(done) if len(staged) > 1 else ():
                for keep, was, path in ((tmpdir / ".previous", had, dest.path),
                                        (tmpdir / ".previous-marker", had_mark, markers.sidecar(dest.path))):
                    try:
                        if was:
                            os.replace(keep, path)
                        elif not os.path.lexists(tmpdir / path.name):  # ours went in: take it out
                            os.unlink(path)
                    except OSError:
                        pass
            raise
        for dest, _ in staged:
            dest.committed = True


def write_together(*items: tuple[Destination, bytes]) -> None:
    """Write several single-file outputs (claimed each) as one output: every file is written first,
    then all are put in place, or none is; a failure is OUTPUT_WRITE_FAILED with nothing changed."""
    staged: list[tuple[Destination, Path]] = []
    try:
        for dest, data in items:
            if dest.kind != FILE:
                raise ValueError("write_together() is for file outputs")
            tmpdir = dest._mkdtemp()
            staged.append((dest, tmpdir))
            _write_new(tmpdir / dest.name, data)
        _put_in_place([dest._sealed(tmpdir) for dest, tmpdir in staged])
    except OSError as e:
        if e.errno in WRITE_ERRORS:
            raise write_failed(items[0][0].given, e) from None
        raise
    finally:
        for _, tmpdir in staged:
            _remove(tmpdir)


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
