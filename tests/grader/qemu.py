"""Run one QEMU process and capture its serial output, without ever hanging.

A kernel under test can loop forever, print forever, or exit and leave a
helper process holding the pipe open. So every run has a wall-clock
deadline and a byte cap, and QEMU is started in its own process group so
that the whole group (helpers included) can be killed at once.
"""

import os
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Optional

BYTE_CAP = 2 * 1024 * 1024    # more output than this is an "output flood"
EXIT_GRACE = 1.0              # seconds to drain the pipe after QEMU exits
POLL = 0.1                    # how often to check the process and the clock

_live = set()                 # running Popen objects, for kill_all()
_live_lock = threading.Lock()
_stopping = False             # set by kill_all(): start no more runs


@dataclass
class RawRun:
    """What happened to one QEMU process, before any interpretation."""
    output: str = ""
    status: Optional[int] = None  # exit status; None if we had to kill it
    timed_out: bool = False
    flooded: bool = False
    elapsed: float = 0.0
    setup_error: Optional[str] = None  # could not even start (one line)


def run(argv, timeout, byte_cap=BYTE_CAP):
    """Run argv with stdin=/dev/null; return a RawRun within ~timeout s."""
    start = time.monotonic()
    with _live_lock:              # so kill_all() cannot miss this process
        if _stopping:
            return RawRun(setup_error="interrupted")
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT,
                                    start_new_session=True)
        except OSError as err:
            return RawRun(setup_error=f"cannot start {argv[0]}: "
                          f"{err.strerror}")
        _live.add(proc)
    try:
        raw, exited = _collect(proc, start + timeout, byte_cap)
    finally:
        # Kill before reaping: while QEMU is an unreaped zombie its pid
        # (which is the group id) cannot be reused by another process.
        _kill_group(proc)
        status = proc.wait()
        proc.stdout.close()
        with _live_lock:
            _live.discard(proc)
    raw.status = status if exited else None
    raw.elapsed = time.monotonic() - start
    return raw


def _collect(proc, deadline, byte_cap):
    """Read output until EOF, deadline, byte cap or exit + grace.

    Returns (RawRun without status, whether QEMU exited by itself).
    """
    chunks, size = [], 0
    raw = RawRun()
    exited_at = None
    fd = proc.stdout.fileno()
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            if now >= deadline:
                raw.timed_out = True
                break
            if exited_at is None and _exited(proc):
                exited_at = now
            if exited_at is not None and now - exited_at > EXIT_GRACE:
                break             # a leftover child still holds the pipe
            if not selector.select(min(POLL, deadline - now)):
                continue
            data = os.read(fd, 65536)
            if not data:
                break             # EOF: every writer has gone
            chunks.append(data)
            size += len(data)
            if size > byte_cap:
                raw.flooded = True
                break
    raw.output = b"".join(chunks)[:byte_cap].decode("utf-8", "replace")
    if raw.timed_out or raw.flooded:
        return raw, False
    raw.timed_out = not _wait_exit(proc, deadline)
    return raw, not raw.timed_out


def _exited(proc):
    """Has proc exited? Unlike Popen.poll() this does not reap it."""
    if not hasattr(os, "waitid"):     # not on every Unix; then poll()
        return proc.poll() is not None
    flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
    return os.waitid(os.P_PID, proc.pid, flags) is not None


def _wait_exit(proc, deadline):
    """Wait (without reaping) until proc exits; False on the deadline."""
    while not _exited(proc):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL / 2)
    return True


def _kill_group(proc):
    """SIGKILL QEMU and anything it started (they share its group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_all():
    """Kill every QEMU still running: used on Ctrl-C or SIGTERM, because
    our children live in their own sessions and would not get the signal."""
    global _stopping
    with _live_lock:
        _stopping = True
        for proc in list(_live):
            _kill_group(proc)
