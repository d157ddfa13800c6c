"""Run a student's Python functions in a sandbox (bubblewrap) and get their results back as plain data.

    result = run_calls(source, "rnn.py", [Call("rnn_step", (h, x, W_hh, W_hx))])
    result.status, result.message, result.results[0].value   # "ok", "all 1 calls returned", an array

The student's code runs in another process with no network, no view of the spec, the reference, the
gradebook or other students' files, as a uid of no one's, under CPU, memory, process and output limits,
and is killed whole when the wall clock runs out. Values come back as lists and shapes and are rebuilt
here, so nothing the student defines takes part in a comparison (docs/code-parts.md, "The sandbox").
"""
from __future__ import annotations

from .api import STATUSES, Call, CallResult, Limits, RunResult, SandboxUnavailable
from .bwrap import available
from .run import run_calls

__all__ = ["STATUSES", "Call", "CallResult", "Limits", "RunResult", "SandboxUnavailable", "available",
           "run_calls"]
