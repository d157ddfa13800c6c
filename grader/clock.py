"""The clock that time budgets count on: the CPU time of the grading thread, not the wall clock.

A budget (evaluating an expression at its test points, an author's patterns against a text) bounds
the work one answer causes. Counted on the wall clock, it would also count the time the thread
waits for a core or for the GIL, so the same answer could be graded differently on a loaded
server, or in a batch on every core, than on a quiet laptop. Counted in the thread's own CPU time,
it gives the same verdict everywhere.

Reading a thread's CPU time is a system call (about 0.8 µs, against 0.1 µs for the wall clock), and
evaluation asks "past the deadline?" often. A thread cannot use more CPU time than wall time passes,
so :func:`passed` answers from the wall clock while the deadline is further away than the wall time
since the last real reading, and reads the CPU clock only when it might have been reached.

A code part's student code runs in a sandbox process; the time the thread waited for that run is added to
its CPU time (:func:`spent`), so budgets and the service's per-student charge count it too.
"""
from __future__ import annotations

import threading
import time

_last = threading.local()  # the last real reading of this thread: (wall, cpu)


def now() -> float:
    """This thread's CPU time, in seconds, with its waits for other processes working for it (:func:`spent`); a
    deadline is ``now() + budget``."""
    cpu = time.thread_time() + getattr(_last, "elsewhere", 0.0)
    _last.reading = (time.monotonic(), cpu)
    return cpu


def spent(seconds: float) -> None:
    """Count time this thread waited for another process working for it (a code part's sandbox run) as its
    own CPU time: the service charges a student's grading by this clock, and a file built to burn CPU (or to
    sleep, holding a grading thread) must cost its author."""
    _last.elsewhere = getattr(_last, "elsewhere", 0.0) + max(0.0, seconds)
    _last.reading = None  # the estimate in left() assumes no more CPU time passed than wall time


def at_most() -> float:
    """This thread's CPU time now or a little more, without asking the system (a thread's CPU clock is a system
    call, about a microsecond here, and a free-text answer met dozens of them): the last reading plus the wall time
    since. Time spent from here, measured with :func:`now`, comes out no longer than it really was."""
    reading = getattr(_last, "reading", None)
    if reading is None:
        return now()
    wall, cpu = reading
    return cpu + (time.monotonic() - wall)


def passed(deadline: float) -> bool:
    """Has this thread's CPU time reached ``deadline``?"""
    return left(deadline) <= 0


def left(deadline: float) -> float:
    """CPU time left before ``deadline``: at least this much (exact once it runs short)."""
    at_least = deadline - at_most()  # no more CPU time has passed than wall time since the last reading
    return at_least if at_least > 0 else deadline - now()
