"""The script that runs INSIDE the sandbox (or the --no-sandbox subprocess): stdlib and numpy only.

It reads its job (nonce, calls, limits) from stdin and closes stdin before the student's module is
loaded, drops root, sets the limits, imports the module and calls its functions. Each message goes to a
private pipe (not stdout) as one JSON line carrying the nonce, so a print cannot pass for a result.

Residual risk, on purpose: the student's code runs in this same process, so it can find the nonce in
memory and write messages of its own. That buys nothing a function could not do by returning those
values: it can only change its own results, which the parent rebuilds as plain float arrays and compares
with a reference computed outside the sandbox.
"""
import importlib.util
import json
import os
import resource
import sys
import time
import traceback

MESSAGE_CHARS = 500  # an exception's text, cut (student code chooses it)
FRAMES = 5           # the student's innermost frames shown in an error


def main() -> None:
    job = json.loads(sys.stdin.buffer.read())
    os.close(0)  # the job (and its nonce) can no longer be read from stdin; input() reads nothing
    os.open(os.devnull, os.O_RDONLY)
    channel = job["fd"]
    nonce = job["nonce"]
    write = os.write

    def send(kind: str, **fields) -> None:
        data = (json.dumps({"nonce": nonce, "kind": kind, **fields}) + "\n").encode()
        while data:
            data = data[write(channel, data):]

    drop_root(job.get("uid"))
    if job.get("site"):
        sys.path.insert(0, job["site"])
    import numpy  # before the limits: its import is ours, and its ~100 MB are counted anyway

    set_limits(job["limits"])
    path = job["path"]
    name = os.path.basename(path)
    with open(path, "rb") as handle:
        source = handle.read()
    try:
        compile(source, path, "exec", dont_inherit=True)  # parse only: a syntax error is reported by line
    except SyntaxError as error:
        send("syntax", line=error.lineno, message=error.msg, text=(error.text or "").strip()[:200])
        return
    except ValueError as error:  # e.g. a null byte
        send("syntax", line=None, message=str(error), text="")
        return

    spec = importlib.util.spec_from_file_location("submission", path)
    module = importlib.util.module_from_spec(spec)
    pid = os.getpid()
    try:
        spec.loader.exec_module(module)
    except BaseException as error:  # SystemExit and KeyboardInterrupt too: the module must load
        leave_if_forked(pid)
        send("load-error", error=describe(error, path, name), memory=isinstance(error, MemoryError))
        return
    leave_if_forked(pid)
    wanted = sorted({call["function"] for call in job["calls"]})
    missing = [fn for fn in wanted if not callable(getattr(module, fn, None))]
    if missing:  # said once; the functions that are there still run, so each is graded on its own
        send("missing", names=missing)
    send("loaded")
    for index, call in enumerate(job["calls"]):
        if call["function"] in missing:
            send("result", index=index, ok=False, error=f"{call['function']} is not defined in {name}", seconds=0.0)
            continue
        args = [decode(arg, numpy) for arg in call["args"]]  # fresh arrays per call: no mutation leaks
        started = time.perf_counter()
        try:
            value = getattr(module, call["function"])(*args)
            data, shape = plain(value, numpy)
        except BaseException as error:
            leave_if_forked(pid)
            send("result", index=index, ok=False, error=describe(error, path, name),
                 memory=isinstance(error, MemoryError), seconds=time.perf_counter() - started)
            continue
        leave_if_forked(pid)
        send("result", index=index, ok=True, data=data, shape=shape, seconds=time.perf_counter() - started)
    send("done")


def drop_root(uid: "int | None") -> None:
    """As root, RLIMIT_NPROC binds nothing (a fork bomb would run free) and signals reach anything:
    become a uid of no one's before any student code runs."""
    if uid is None or os.getuid() != 0:
        return
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit("harness: could not drop root")


def set_limits(limits: dict) -> None:
    """Kernel limits for this process and its children; the wall-clock bound is the parent's."""
    cpu = max(1, int(limits["seconds"] + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU, then SIGKILL if it is ignored
    memory = limits["memory_mb"] * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"], limits["processes"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"], limits["file_bytes"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def leave_if_forked(pid: int) -> None:
    """A child the student forked must not go on as the harness (and report calls twice)."""
    if os.getpid() != pid:
        os._exit(0)


def decode(arg, numpy):
    """An argument as the parent encoded it: arrays are {"data", "shape", "dtype"}, lists stay lists."""
    if isinstance(arg, dict):
        return numpy.array(arg["data"], dtype=arg["dtype"]).reshape(arg["shape"])
    if isinstance(arg, list):
        return [decode(item, numpy) for item in arg]
    return arg


def plain(value, numpy) -> tuple:
    """The returned value as flat floats and a shape; anything not an array of real numbers is refused
    (None, text, objects, ragged lists), so no object of the student's leaves this process."""
    if value is None:
        raise TypeError("the function returned None (is a return statement missing?)")
    raw = numpy.asarray(value)
    if raw.dtype.kind not in "biuf":
        what = "complex numbers" if raw.dtype.kind == "c" else f"a {type(value).__name__}"
        raise TypeError(f"the function returned {what}, not real numbers")
    array = numpy.asarray(raw, dtype=float)
    if array.ndim == 0:
        return float(array), []
    return array.ravel().tolist(), list(array.shape)


def describe(error: BaseException, path: str, name: str) -> str:
    """'ZeroDivisionError: division by zero' then the student's own lines, innermost last
    ('rnn.py:12: h = W @ x / 0'): the harness's and numpy's frames say nothing to a student."""
    try:
        text = str(error)
    except BaseException:
        text = "(the error's message could not be shown)"
    head = type(error).__name__ + (": " + text[:MESSAGE_CHARS] if text else "")
    try:
        frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == path]
    except BaseException:
        frames = []
    lines = [f"{name}:{frame.lineno}: {(frame.line or '').strip()[:200]}" for frame in frames[-FRAMES:]]
    return "\n".join([head, *lines])


if __name__ == "__main__":
    main()
