"""Workspace files attached only while used, so several processes can share a data folder.

DuckDB lets one process write a file, or several processes read it, never both at once.
So that ``tally serve``, ``tally ask``, two ``tally chat`` sessions and ``tally import``
can work on one data folder together, a process holds no workspace file open between
uses: it keeps one in-memory DuckDB instance and ATTACHes a file while it uses it,
read-only to read, read-write to write. An attachment unused for :data:`LINGER_SECONDS`
is detached by a background thread: attaching costs about a millisecond, so keeping it
across a burst of statements (one answer) keeps answers as fast as a file held open.

A file locked by another process is waited for, with backoff, up to the caller's wait;
then :class:`~storage.errors.WarehouseBusyError` names the real holder from the PID in
DuckDB's lock error ("`tally import` (pid 1234)"): only the ``tally`` sub-command is
shown, never the rest of its command line.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from storage.errors import WarehouseBusyError

LINGER_SECONDS = 0.5
BUSY_WAIT_SECONDS = 5.0
_PID = re.compile(r"\(PID (\d+)\)")
_WORD = re.compile(r"[a-z][a-z0-9-]{0,30}")

_base_lock = threading.Lock()  # ATTACH and DETACH on the one base connection
_base: duckdb.DuckDBPyConnection | None = None
_registry: dict[Path, Attachment] = {}


def _instance() -> duckdb.DuckDBPyConnection:
    """The process's one in-memory DuckDB instance (the caller holds ``_base_lock``)."""
    global _base
    if _base is None:
        _base = duckdb.connect(":memory:")
    return _base


def shared_cursor() -> duckdb.DuckDBPyConnection:
    """A new connection to the process's one DuckDB instance (it sees every attachment)."""
    with _base_lock:
        return _instance().cursor()


def attachment_for(path: Path) -> Attachment:
    """The process's one attachment of a workspace file (two warehouses on it share it)."""
    resolved = path.resolve()
    with _base_lock:
        if resolved not in _registry:
            _registry[resolved] = Attachment(resolved)
        return _registry[resolved]


def _on_base(sql: str) -> None:
    with _base_lock:
        _instance().execute(sql)


def _signature(path: Path) -> tuple[tuple[int, int, int] | None, ...]:
    """What changes when any process writes the file (its WAL included)."""
    found: list[tuple[int, int, int] | None] = []
    for file in (path, Path(f"{path}.wal")):
        try:
            st = file.stat()
            found.append((st.st_mtime_ns, st.st_size, st.st_ino))
        except FileNotFoundError:
            found.append(None)
    return tuple(found)


class Attachment:
    """One workspace file, attached to the shared instance while some thread uses it.

    Attributes:
        alias: the name the file is attached under (warehouses ``USE`` it).
        changes: how many times another process was seen to change the file.
        migrated: the schema was checked (and migrated) since the file was last attached.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.alias = "ws_" + hashlib.sha1(str(path).encode()).hexdigest()[:16]
        self.changes = 0
        self.migrated = False
        self._cond = threading.Condition(threading.RLock())
        self._mode: str | None = None  # None (detached), "read" or "write"
        self._holders: Counter[int] = Counter()  # thread id -> nested uses
        self._writers_waiting = 0
        self._last_use = 0.0
        self._seen: tuple[tuple[int, int, int] | None, ...] | None = None

    @contextmanager
    def use(self, write: bool, wait_seconds: float) -> Iterator[None]:
        """Keeps the file attached (read-write if ``write``) for the block."""
        me = threading.get_ident()
        with self._cond:
            self._ensure(write, me, time.monotonic() + wait_seconds)
            self._holders[me] += 1
        try:
            yield
        finally:
            with self._cond:
                self._holders[me] -= 1
                if not self._holders[me]:
                    del self._holders[me]
                self._last_use = time.monotonic()
                self._cond.notify_all()

    def refresh(self) -> int:
        """:attr:`changes`, after noticing a write by another process while detached."""
        with self._cond:
            if self._mode is None and self._seen is not None and _signature(self.path) != self._seen:
                self.changes += 1
                self._seen = _signature(self.path)
            return self.changes

    def _ensure(self, write: bool, me: int, deadline: float) -> None:
        while True:
            ready = self._mode == "write" or (self._mode == "read" and not write)
            if not write and self._writers_waiting and me not in self._holders:
                pass  # a new reader lets a waiting write go first (no writer starves)
            elif ready:
                return
            elif not set(self._holders) - {me}:
                if self._mode is not None:
                    self._detach()
                self._attach(write, deadline)
                return
            self._writers_waiting += write
            try:
                left = deadline - time.monotonic()
                if left <= 0 or not self._cond.wait(left):
                    doing = "in use by" if write else "being written by"
                    raise WarehouseBusyError(f"workspace {self.path.stem} is {doing} "
                                             f"{describe_process(os.getpid())}; try again in a moment")
            finally:
                self._writers_waiting -= write

    def _attach(self, write: bool, deadline: float) -> None:
        self.refresh()
        exists = self.path.exists()
        options = "" if write or not exists else " (READ_ONLY)"
        quoted = str(self.path).replace("'", "''")
        backoff = 0.01
        while True:
            try:
                _on_base(f"ATTACH '{quoted}' AS {self.alias}{options}")
                break
            except duckdb.Error as exc:
                # Only a lock held elsewhere is waited for; any other failure is raised.
                if "Could not set lock" not in str(exc) and "Unique file handle" not in str(exc):
                    raise
                if time.monotonic() + backoff > deadline:
                    raise WarehouseBusyError(busy_message(self.path.stem, str(exc), write)) from None
                time.sleep(backoff)  # holding the lock: this process's other users wait too
                backoff = min(backoff * 2, 0.25)
        self._mode = "write" if write or not exists else "read"
        self.migrated = False  # another process (an older or newer tally) may have written it
        if self._seen is None:
            self._seen = _signature(self.path)
        CLOSER.watch(self)

    def _detach(self) -> None:
        _on_base(f"DETACH {self.alias}")
        self._mode = None
        self._seen = _signature(self.path)

    def detach_if_idle(self, now: float, linger: float) -> float | None:
        """Detaches once unused for ``linger`` seconds; else the seconds left (None: detached)."""
        if not self._cond.acquire(blocking=False):  # busy attaching or in use: look again later
            return linger
        try:
            if self._mode is not None:
                left = self._last_use + linger - now
                if self._holders or left > 0:
                    return max(left, 0.01)
                self._detach()
            CLOSER.forget(self)  # under this lock, so an attach in between is never forgotten
            return None
        finally:
            self._cond.release()

    def close(self) -> None:
        """Detaches now unless a thread is using the file (the closer detaches it later)."""
        with self._cond:
            if self._mode is not None and not self._holders:
                self._detach()


def busy_message(workspace: str, error: str, write: bool) -> str:
    """What a user reads when another process holds a workspace file."""
    found = _PID.search(error)
    holder = describe_process(int(found.group(1))) if found else "another process"
    if "Unique file handle" in error:
        holder = "another part of this process"
    doing = "in use by" if write and "read-only mode" in error else "being written by"
    return f"workspace {workspace} is {doing} {holder}; try again in a moment"


def describe_process(pid: int) -> str:
    """"`tally import` (pid 1234)": the tally sub-command of a process, never its arguments."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:  # not Linux, or the process has just exited
        return f"another process (pid {pid})"
    for index, arg in enumerate(argv[:4]):
        if os.path.basename(arg) == "tally" or arg == "bot.cli" or (
                index > 0 and argv[index - 1] == "-c" and "bot.cli" in arg):
            words = [a for a in argv[index + 1:] if a and not a.startswith("-")][:1]
            command = f"tally {words[0]}" if words and _WORD.fullmatch(words[0]) else "tally"
            return f"`{command}` (pid {pid})"
    program = os.path.basename(argv[0]) if argv and argv[0] else "another program"
    return f"another program, {program[:40]} (pid {pid})"


class _Closer:
    """One daemon thread per process that detaches attachments left unused."""

    def __init__(self, linger: float) -> None:
        self.linger = linger
        self._watched: set[Attachment] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.stopped = False

    def watch(self, attachment: Attachment) -> None:
        with self._lock:
            self._watched.add(attachment)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="tally-detach", daemon=True)
                self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        self.stopped = True
        self._wake.set()

    def forget(self, attachment: Attachment) -> None:
        with self._lock:
            self._watched.discard(attachment)

    def _run(self) -> None:
        timeout: float | None = None
        while not self.stopped:
            self._wake.wait(timeout)
            self._wake.clear()
            with self._lock:
                watched = list(self._watched)
            now, lefts = time.monotonic(), []
            for attachment in watched:
                left = attachment.detach_if_idle(now, self.linger)
                if left is not None:
                    lefts.append(left)
            timeout = min(lefts, default=None)


def _detach_all() -> None:
    """At exit: every file detached (its WAL written back) before the interpreter goes."""
    CLOSER.stop()
    for attachment in list(_registry.values()):
        with contextlib.suppress(duckdb.Error):
            attachment.close()


CLOSER = _Closer(LINGER_SECONDS)
atexit.register(_detach_all)
