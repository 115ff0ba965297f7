"""Starting and stopping Flower's processes: every one pedcomm starts is stopped, whatever happens.

Each process is started in its own session (so a Ctrl-C at the terminal reaches pedcomm, which
then stops them in order). Flower's processes start children of their own (flower-superexec, and
one flwr-serverapp or flwr-clientapp per task; the SuperLink's superexec in a session of its own),
so ``Processes.stop`` first collects every descendant of the processes it started (from /proc),
then sends SIGTERM to all of them, last started first, waits, sends SIGKILL to what is left and
waits again until none is running. Telemetry is off (FLWR_TELEMETRY_ENABLED=0), Flower's home
(its config.toml and installed apps) is the run's own folder (FLWR_HOME), and the environment's
bin folder is on PATH, where the SuperLink and SuperNodes look for flower-superexec.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

STOP_WAIT = 8.0  # seconds a process has to end after SIGTERM, and again after SIGKILL


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (chosen by the kernel), for a process started next."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def listening(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def executable(name: str) -> str:
    """A Flower command from this environment's bin folder (where pip installed it)."""
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else name


def environment(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"FLWR_TELEMETRY_ENABLED": "0", "FLWR_HOME": str(home), "FLWR_DISABLE_UPDATE_CHECK": "1",
                "FLWR_SUPEREXEC_TASK_POLL_INTERVAL": "0.1", "PYTHONUNBUFFERED": "1",
                "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])})
    return env


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        out.setdefault(int(fields[1]), []).append(int(entry.name))
    return out


def descendants(pids: list[int]) -> list[int]:
    """Every running descendant of ``pids`` (children first found, depth-first)."""
    if not Path("/proc").is_dir():
        return []
    children, out, todo = _children(), [], list(pids)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.append(child)
                todo.append(child)
    return out


def running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rfind(")") + 2] != "Z"
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return not Path("/proc").is_dir()


class Processes:
    """The processes of one run, by label; a context manager that stops them all on exit."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, label: str, argv: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = open(self.logs / f"{label}.log", "ab")  # noqa: SIM115 (closed with the process, in stop)
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        proc._pedcomm_log = log  # type: ignore[attr-defined]
        self.started.append((label, proc))
        return proc

    def ended(self) -> list[str]:
        """Labels of started processes that are no longer running."""
        return [label for label, p in self.started if p.poll() is not None]

    def log_tail(self, label: str, lines: int = 5) -> str:
        try:
            text = (self.logs / f"{label}.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def stop(self) -> None:
        """Stop every process started and every descendant of theirs; return when none runs."""
        own = [p.pid for _, p in self.started]
        family = own + [d for d in descendants(own) if d not in own]
        with _held():
            for sig in (signal.SIGTERM, signal.SIGKILL):
                for pid in reversed(family):
                    try:
                        os.kill(pid, sig)
                    except OSError:
                        pass
                end = time.monotonic() + STOP_WAIT
                while time.monotonic() < end:
                    for _, p in self.started:
                        p.poll()
                    if not any(running(pid) for pid in family):
                        break
                    time.sleep(0.1)
                else:
                    continue
                break
        for _, p in self.started:
            try:
                p.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
            p._pedcomm_log.close()  # type: ignore[attr-defined]
        self.started = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class _held:
    """Hold SIGINT and SIGTERM back while the processes are being stopped (a second Ctrl-C must not
    leave half of them running); they are delivered afterwards."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __enter__(self):
        try:
            self.old = signal.pthread_sigmask(signal.SIG_BLOCK, self.SIGNALS)
        except (AttributeError, ValueError):
            self.old = None
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.old)
