"""Run the harness on one submission and turn what comes back into a RunResult.

The parent owns the wall clock (it kills the whole process group), the output bound (it stops reading and
kills), and the reading of results: only JSON lines with this run's nonce count, and every value is
rebuilt here as a float array from a flat list and a shape.
"""
from __future__ import annotations

import dataclasses
import functools
import hmac
import json
import os
import re
import secrets
import selectors
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from ..files import is_running
from . import bwrap
from .api import Call, CallResult, Limits, RunResult, SandboxUnavailable

HARNESS = str(Path(__file__).with_name("harness.py"))
RESULT_BYTES = 64 * 2**20   # results beyond this are refused (the run is stopped: "output")
CHUNK = 65536


def run_calls(source: str, filename: str, calls: list[Call], limits: Limits = Limits(), *,
              sandbox: bool = True) -> RunResult:
    """Load ``source`` as the student's ``filename`` and make each call, in a sandbox (bwrap), or with
    ``sandbox=False`` in a plain subprocess under the same limits (for code one trusts: --no-sandbox)."""
    if sandbox and (problem := bwrap.available()):
        raise SandboxUnavailable(problem)
    name = safe_name(filename)
    nonce = secrets.token_hex(16)
    python = bwrap.interpreter()
    _sweep_scratch()
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH}{os.getpid()}-") as scratch:
        workdir = Path(scratch, "work")
        workdir.mkdir()
        student = workdir / name
        student.write_text(source, encoding="utf-8")
        student.chmod(0o644)  # the harness reads it after dropping root
        job = {"nonce": nonce, "calls": [{"function": c.function, "args": encode(c.args)} for c in calls],
               "limits": {"seconds": limits.seconds, "memory_mb": limits.memory_mb,
                          "processes": limits.processes, "file_bytes": bwrap.TMPFS_BYTES}}
        if sandbox:
            job.update(path=f"{bwrap.WORKDIR}/{name}", site=bwrap.SITE,
                       uid=bwrap.uid() if os.geteuid() == 0 else None)
            argv = bwrap.command(python, str(student), name, HARNESS)
        else:  # no uid change: a dropped uid could not read an interpreter kept under /root
            job.update(path=str(student), site=str(Path(python.numpy[0]).parent), uid=None)
            argv = [python.executable, "-I", "-S", "-B", HARNESS]
        return execute(argv, job, str(workdir), limits, name, len(calls), sandbox)


SCRATCH = "grader-run-"  # then the grading process's id: a folder of a process that is gone is left over
_LEFT_OVER = re.compile(re.escape(SCRATCH) + r"(\d+)-.+")


@functools.lru_cache(maxsize=1)  # once a process: the temporary folder may be large
def _sweep_scratch() -> None:
    """Remove the scratch folders (a copy of a student's file) of runs whose grading process was killed, which
    had no time to: this user's folders whose process is gone. A link or another user's folder is left alone."""
    try:
        with os.scandir(tempfile.gettempdir()) as entries:
            for entry in entries:
                found = _LEFT_OVER.fullmatch(entry.name)
                if found is None or int(found.group(1)) == os.getpid():
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not is_running(int(found.group(1))):
                    shutil.rmtree(entry.path, ignore_errors=True)
    except OSError:  # the temporary folder cannot be listed: nothing of ours to remove there
        return


def safe_name(filename: str) -> str:
    """The file's name as the student's tracebacks show it: a plain basename ending in .py."""
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", os.path.basename(filename or ""))[:80].lstrip(".")
    return base if base.endswith(".py") and len(base) > 3 else "submission.py"


def encode(value):
    """Arguments as JSON: numpy arrays as flat data + shape + dtype, tuples as lists, numbers as they are."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"a sandbox call takes arrays of real numbers, not {value.dtype}")
        return {"data": value.ravel().tolist(), "shape": list(value.shape), "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"a sandbox call takes plain data, not {type(value).__name__}")


def execute(argv: list[str], job: dict, cwd: str, limits: Limits, name: str, count: int,
            sandbox: bool) -> RunResult:
    """Start the process in a session of its own, feed the job, read output and results until both
    close, the wall clock runs out, or too much comes: then kill the whole group."""
    reader, writer = os.pipe()
    info_reader, info_writer = os.pipe()  # bwrap says there the host pid of the sandbox's init
    if sandbox:
        argv = [argv[0], "--info-fd", str(info_writer), *argv[1:]]
    with tempfile.TemporaryFile() as stdin:  # unlinked: the job's nonce is nowhere on disk to be found
        stdin.write(json.dumps({**job, "fd": writer}).encode())
        stdin.seek(0)
        started = time.monotonic()
        process = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   pass_fds=(writer, info_writer), cwd=cwd, env=bwrap.ENV, start_new_session=True)
    os.close(writer)
    os.close(info_writer)
    output, results, info, stopped = bytearray(), bytearray(), bytearray(), None
    keep = limits.output_kb * 1024
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, "output")
        selector.register(reader, selectors.EVENT_READ, "results")
        selector.register(info_reader, selectors.EVENT_READ, "info")
        while selector.get_map() and stopped is None:
            left = started + limits.wall_seconds - time.monotonic()
            if left <= 0:
                stopped = "wall"
                break
            for key, _ in selector.select(timeout=left):
                chunk = os.read(key.fd, CHUNK)
                if not chunk:
                    selector.unregister(key.fileobj)
                elif key.data == "info":
                    info += chunk[:4096]
                elif key.data == "output":
                    output += chunk
                    if len(output) > keep:
                        stopped = "output"
                else:
                    results += chunk
                    if len(results) > RESULT_BYTES:
                        stopped = "results"
    if stopped is None:
        try:
            process.wait(timeout=max(0.1, started + limits.wall_seconds - time.monotonic()))
        except subprocess.TimeoutExpired:
            stopped = "wall"
    kill(process, sandbox_init(bytes(info)))
    os.close(reader)
    os.close(info_reader)
    process.stdout.close()
    printed = bytes(output[:keep]).decode("utf-8", "replace")
    if len(output) > keep:
        printed += f"\n[... output cut at {limits.output_kb} KB]"
    messages = read_messages(bytes(results), job["nonce"])
    result = verdict(messages, process.returncode, stopped, limits, name, count, printed)
    return dataclasses.replace(result, seconds=time.monotonic() - started)


def sandbox_init(info: bytes) -> int | None:
    """The host pid of the sandbox's init, from bwrap's --info-fd JSON."""
    try:
        pid = json.loads(info.decode()).get("child-pid")
    except (ValueError, AttributeError):
        return None
    return pid if type(pid) is int and pid > 1 else None


def kill(process: subprocess.Popen, init: int | None) -> None:
    """SIGKILL the sandbox's init first: the kernel kills every process of its pid namespace before the
    init dies, and bwrap, its parent, reaps it and exits (killing bwrap first would leave the init a
    zombie of the host's pid 1, which in a container may never reap it). Then the whole process group,
    for --no-sandbox and in case the init was unknown; a run returns only once its fork bomb is dead."""
    if init and process.poll() is None:
        try:
            os.kill(init, signal.SIGKILL)
            process.wait(timeout=5)
        except (ProcessLookupError, PermissionError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
    deadline = time.monotonic() + 5
    while init and alive(init) and time.monotonic() < deadline:
        time.sleep(0.01)


def alive(pid: int) -> bool:
    """Running, not a zombie (a zombie init's namespace is already empty)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def read_messages(data: bytes, nonce: str) -> list[dict]:
    """The harness's messages: JSON objects on lines, with this run's nonce; anything else is refused."""
    messages = []
    for line in data.split(b"\n"):
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if (isinstance(message, dict) and isinstance(message.get("nonce"), str)
                and hmac.compare_digest(message["nonce"], nonce)):
            messages.append(message)
    return messages


def rebuild(message: dict) -> CallResult:
    """A result from plain JSON: a float, or a float64 array the parent makes from a flat list and a shape."""
    seconds = message.get("seconds")
    seconds = float(seconds) if isinstance(seconds, (int, float)) else 0.0
    if message.get("ok") is not True:
        error = message.get("error")
        return CallResult(False, error=error if isinstance(error, str) else "the call failed", seconds=seconds)
    data, shape = message.get("data"), message.get("shape")
    numbers = (int, float)
    if shape == [] and type(data) in numbers:
        return CallResult(True, value=float(data), shape=(), seconds=seconds)
    if (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)
            and isinstance(data, list) and all(type(x) in numbers for x in data)
            and len(data) == int(np.prod(shape, dtype=np.int64))):
        value = np.array(data, dtype=np.float64).reshape(shape)
        return CallResult(True, value=value, shape=tuple(shape), seconds=seconds)
    return CallResult(False, error="the result could not be read", seconds=seconds)


def verdict(messages: list[dict], returncode: int, stopped: str | None, limits: Limits, name: str,
            count: int, printed: str) -> RunResult:
    """Status and one line for the student, from what the harness said and how the process ended."""
    found: dict[int, CallResult] = {}
    first: dict[str, dict] = {}
    for message in messages:
        kind = message.get("kind")
        first.setdefault(kind, message)
        index = message.get("index")
        if kind == "result" and type(index) is int and 0 <= index < count and index not in found:
            found[index] = rebuild(message)
    memory = any(m.get("memory") is True for m in messages if m.get("kind") in ("result", "load-error"))

    def result(status: str, text: str, reason: str, transient: bool = False) -> RunResult:
        results = tuple(found.get(i) or CallResult(False, error=f"not run: {reason}") for i in range(count))
        return RunResult(status, text, results, printed, transient)

    if stopped == "wall":
        return result("timeout", f"the code did not finish within {limits.wall_seconds:g} s and was stopped "
                      "(an endless loop, or waiting for something?)", "stopped by the time limit", True)
    if stopped in ("output", "results"):
        return result("output", f"the code printed more than {limits.output_kb} KB and was stopped "
                      "(a print inside a loop?)", "stopped for printing too much")
    if "syntax" in first:
        syntax = first["syntax"]
        line = syntax.get("line")
        where = f"{name} line {line}" if type(line) is int else name
        text = syntax.get("text") if isinstance(syntax.get("text"), str) else ""
        return result("syntax", f"{where}: {syntax.get('message')}" + (f": {text}" if text else ""),
                      "the file does not parse")
    if memory:
        return result("memory", f"the code used more than {limits.memory_mb} MB of memory (MemoryError)",
                      "out of memory")
    if "load-error" in first:
        error = str(first["load-error"].get("error", "")).splitlines()
        return result("crashed", f"{name} stopped with an error while loading: " + " at ".join(error[:2]),
                      "the file did not load")
    if "missing" in first:
        names = [n for n in first["missing"].get("names", []) if isinstance(n, str)]
        return result("missing-function", f"{name} does not define {', '.join(names) or 'the function'} "
                      "(a function with that name is needed)", "the function is missing")
    if "done" in first and returncode == 0:
        failed = sum(1 for r in found.values() if not r.ok)
        text = f"all {count} calls returned" if not failed else f"{failed} of {count} calls raised an error"
        return result("ok", text, "")
    signum = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
    if signum == signal.SIGXCPU:
        return result("timeout", f"the code used more than {limits.seconds:g} s of CPU time and was stopped "
                      "(an endless loop?)", "stopped by the time limit")
    if signum > 0:
        how = f"was killed ({signal.Signals(signum).name})" if signum in signal.valid_signals() else \
            f"was killed (signal {signum})"
    else:
        how = f"exited (status {returncode}) before all calls were made (os._exit or sys.exit?)"
    return result("crashed", f"the process running the code {how}", "the process died", signum > 0)
