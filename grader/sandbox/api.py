"""What a caller hands the sandbox and gets back: plain, frozen data (nothing made by student code)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import GraderError


@dataclass(frozen=True)
class Limits:
    """Bounds on one run (all calls of one submission); the defaults fit a homework function."""

    seconds: float = 10.0        # CPU seconds for the whole run (all calls), per process (RLIMIT_CPU)
    wall_seconds: float = 20.0   # wall-clock bound, then the whole sandbox is killed
    memory_mb: int = 512         # address space of the process, numpy's own ~100 MB included (RLIMIT_AS)
    processes: int = 32          # processes and threads of the run's user (RLIMIT_NPROC)
    output_kb: int = 256         # stdout+stderr kept; past it the run is stopped (status "output")


@dataclass(frozen=True)
class Call:
    """One call of a student's function: ``function(*args)``."""

    function: str                # name defined by the student's module
    args: tuple                  # plain data: floats, ints, bools, nested lists, or numpy arrays


@dataclass(frozen=True)
class CallResult:
    """What one call returned, rebuilt by the parent from lists and a shape (never a student's object)."""

    ok: bool
    value: Any = None            # a float (shape ()) or a numpy float64 array made by the parent
    shape: tuple | None = None
    error: str | None = None     # "ZeroDivisionError: division by zero" then the student's own lines,
                                 # one a line: "rnn.py:12: h = W @ x / 0"
    seconds: float = 0.0


@dataclass(frozen=True)
class RunResult:
    """One run: a status the caller branches on, a line for the student, a result per call (in order)."""

    status: str    # "ok" | "syntax" | "timeout" | "memory" | "crashed" | "output" | "missing-function"
    message: str                 # one line for the student
    results: tuple[CallResult, ...] = ()
    output: str = ""             # what the code printed (bounded)
    transient: bool = False      # stopped by the wall clock or a signal: the same code may fare otherwise
                                 # on a less busy machine, so this run is not worth remembering
    seconds: float = 0.0         # from start to end, start-up included: what the run cost its caller, whose
                                 # thread waited for it (the student's CPU time is not measurable from here:
                                 # bwrap leaves its init unreaped, and the student could forge a report of it)


STATUSES = ("ok", "syntax", "timeout", "memory", "crashed", "output", "missing-function")


class SandboxUnavailable(GraderError):
    """bwrap is missing or cannot make a sandbox here; the message says how to fix it."""
