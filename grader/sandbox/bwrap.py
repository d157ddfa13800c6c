"""The bwrap command line: what the student's process can see, and nothing else.

The sandbox sees a read-only /usr (and the /bin, /lib* links), the interpreter's own prefix with its
site-packages hidden, numpy alone at /opt/site, private /proc, /dev and /tmp, and a private working
directory holding the student's file. Not the repository, the spec, the class folder, /root, /work, /etc
or the venv: a grader installed into site-packages would put the reference solvers in reach.
"""
from __future__ import annotations

import functools
import glob
import os
import secrets
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

WORKDIR = "/submission"     # the student's file alone, in a writable private tmpfs
SITE = "/opt/site"          # numpy (and its bundled libraries), nothing else of site-packages
HARNESS = "/opt/harness.py"
TMPFS_BYTES = 64 * 2**20    # /tmp and the working directory each (tmpfs is memory RLIMIT_AS does not count)
UID_BASE, UID_SPAN = 1_000_000, 1_000_000  # a uid of no one's, drawn per run so parallel runs don't share
                                            # one RLIMIT_NPROC count
SYSTEM_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1",
       "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}  # one BLAS thread: threads count as processes


@dataclass(frozen=True)
class Interpreter:
    """The Python the sandbox runs: this one's base interpreter (a venv's python is a link to it)."""

    executable: str
    prefix: str                  # stdlib and lib-dynload live under it
    numpy: tuple[str, ...]       # numpy's directory and its sibling numpy.libs, if any


@functools.lru_cache(maxsize=1)
def interpreter() -> Interpreter:
    import numpy

    executable = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    package = Path(numpy.__file__).resolve().parent
    numpy_dirs = [str(package)] + [str(p) for p in [package.parent / "numpy.libs"] if p.is_dir()]
    return Interpreter(executable, os.path.realpath(sys.base_prefix), tuple(numpy_dirs))


def hidden_site_dirs(prefix: str) -> list[str]:
    """Every site-packages the sandbox's read-only trees hold: each is covered by an empty tmpfs (a grader
    installed there would carry the reference solvers)."""
    found = set(site.getsitepackages([prefix]))
    for pattern in ("/usr/lib/python3*/*-packages", "/usr/local/lib/python3*/*-packages",
                    "/usr/lib/python3/dist-packages"):
        found.update(glob.glob(pattern))
    return sorted(p for p in found if os.path.isdir(p) and within(p, ["/usr", prefix]))


def within(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def made_dirs(path: str, exists: set[str]) -> list[str]:
    """bwrap makes missing parents 0700, which the dropped uid could not enter: make each one 0755."""
    args: list[str] = []
    parts = Path(path).parts[1:-1]
    for depth in range(1, len(parts) + 1):
        parent = "/" + "/".join(parts[:depth])
        if parent not in exists and not within(parent, ["/usr"]):
            exists.add(parent)
            args += ["--perms", "0755", "--dir", parent]
    return args


def uid() -> int:
    return UID_BASE + secrets.randbelow(UID_SPAN)


def command(python: Interpreter, student_file: str, name: str, harness: str,
            program: list[str] | None = None) -> list[str]:
    """bwrap ... python -I -S -B /opt/harness.py: namespaces, mounts, environment, then the harness
    (or ``program``, to probe)."""
    root = os.geteuid() == 0
    args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    if root:
        # Root makes the namespaces itself; the harness then drops to a uid of no one's (a user namespace
        # would map the sandbox's uid back to root, whom RLIMIT_NPROC does not bind). Until it does,
        # it holds only the two capabilities it needs for that.
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user"]
    args += ["--ro-bind", "/usr", "/usr"]
    for link in SYSTEM_LINKS:
        path = "/" + link
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    made: set[str] = set()
    if not within(python.prefix, ["/usr"]):
        args += made_dirs(python.prefix + "/x", made) + ["--ro-bind", python.prefix, python.prefix]
    for hidden in hidden_site_dirs(python.prefix):
        args += ["--tmpfs", hidden]
    args += ["--perms", "0755", "--dir", "/opt", "--perms", "0755", "--dir", SITE]
    for source in python.numpy:
        args += ["--ro-bind", source, f"{SITE}/{os.path.basename(source)}"]
    args += ["--ro-bind", harness, HARNESS]
    args += ["--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp",
             "--perms", "1777", "--size", str(TMPFS_BYTES), "--tmpfs", WORKDIR,
             "--ro-bind", student_file, f"{WORKDIR}/{name}", "--chdir", WORKDIR, "--clearenv"]
    for key, value in ENV.items():
        args += ["--setenv", key, value]
    return args + ["--", *(program or [python.executable, "-I", "-S", "-B", HARNESS])]


@functools.lru_cache(maxsize=1)
def available() -> str | None:
    """None when a sandbox can be made here (checked once by making one); else what to do about it."""
    if shutil.which("bwrap") is None:
        return ("bubblewrap (bwrap) is not installed: install it (Debian/Ubuntu: apt-get install bubblewrap) "
                "or run with --no-sandbox for code you trust")
    python = interpreter()
    harness = str(Path(__file__).with_name("harness.py"))
    probe = command(python, harness, "probe.py", harness, [
        python.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {SITE!r}); import numpy"])
    try:
        done = subprocess.run(probe, stdin=subprocess.DEVNULL, capture_output=True, timeout=30, env=ENV)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bwrap could not start a sandbox here: {error}"
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return ("bwrap is installed but could not make a sandbox here (unprivileged user namespaces may be "
                f"disabled): {said[-1] if said else 'exit status ' + str(done.returncode)}")
    return None
