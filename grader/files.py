"""Writing results safely: file names from student ids that cannot escape ``--out``, atomic writes.

A student id is data ("../../etc/passwd" is a valid string), so a file name is built only
from a safe subset of its characters plus, when anything was changed, a hash of the whole id.

Nothing under an output folder is followed when it is a symbolic link: a folder grader writes
into must be a real folder (:func:`ensure_folder`), a file is replaced by a rename (which replaces
a link, never its target), and leftovers are removed without looking through links. Every such
refusal is an :class:`OutputError`: one line saying what to move away.
"""
from __future__ import annotations

import hashlib
import itertools
import os
import re
import secrets
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from .errors import GraderError, shown_path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def safe_name(student: str) -> str:
    """A file-name stem for a student id: the id itself when it is plainly safe, else a cleaned id + hash."""
    base = _UNSAFE.sub("_", student).strip("._-")[:64]
    if base == student and base.split(".")[0].lower() not in _RESERVED:
        return base
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{base or 'student'}-{digest}"


def unique_stem(student: str, source: str) -> str:
    """A stem for a student id whose plain stem is taken: the cleaned id and a hash of id and source,
    stable from run to run and never another student's plain name."""
    digest = hashlib.sha256(f"{student}\0{source}".encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{_UNSAFE.sub('_', student).strip('._-')[:64] or 'student'}-{digest}"


class NameBook:
    """Hands out distinct stems within one run, case-insensitively (as on macOS and Windows).

    A stem already taken (two files claiming one id, or ``Ali`` after ``ali``) gets a hash of the
    id and its source file instead: stable across runs, and never another student's plain name.
    """

    def __init__(self) -> None:
        self.used: set[str] = set()

    def claim(self, student: str, source: str = "") -> str:
        stem = safe_name(student)
        if stem.lower() in self.used:
            stem = unique_stem(student, source)
        self.used.add(stem.lower())
        return stem


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()
_TOKEN = secrets.token_hex(4)  # told apart from other runs' leftovers; forked workers differ by pid
_STAGED = itertools.count()


def stage(directory: Path, text: str) -> str:
    """Write ``text`` to a new temporary file in ``directory`` and return its path: the first half of
    an atomic write whose :func:`publish` (a rename) may happen in another process."""
    fd, tmp = _temporary(directory)
    try:
        data = memoryview(text.encode("utf-8"))  # bytes straight to the descriptor: no text layer per file
        while data:
            data = data[os.write(fd, data):]
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    return tmp


def _temporary(directory: Path) -> tuple[int, str]:
    """A new, empty temporary file in ``directory``, with the permissions any file the user writes gets;
    a folder grader may not write in is one line, not a traceback."""
    try:  # a name unique to this process and call: cheaper than mkstemp's random tries, as safe (O_EXCL)
        tmp = os.path.join(directory, f".tmp-{os.getpid()}-{_TOKEN}-{next(_STAGED)}.part")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666), tmp
        except FileExistsError:  # a leftover of a killed run that drew the same token: let mkstemp choose
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
            os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a report is as readable as any file the user writes
            return fd, tmp
    except OSError as exc:
        raise OutputError(f"{shown_path(directory)}: cannot write here ({exc.strerror or exc})") from None


def publish(staged: str, directory: Path, filename: str) -> None:
    """Rename a staged file to ``directory/filename`` (a safe name: one path component, no '..'). A folder in
    the way makes the rename fail (no look first: one system call a file, for a class of thousands)."""
    _plain_name(filename)
    target = os.path.join(directory, filename)
    try:
        os.replace(staged, target)
    except IsADirectoryError:
        Path(staged).unlink(missing_ok=True)
        raise _in_the_way(Path(target)) from None


def _plain_name(filename: str) -> None:
    if os.sep in filename or (os.altsep and os.altsep in filename) or filename in (".", "..") or not filename:
        raise ValueError(f"refusing to write {filename!r}: not a plain file name")


def writable_target(directory: Path, filename: str) -> Path:
    """``directory/filename`` for a plain file name (one path component, no '..'); an :class:`OutputError` if
    a folder stands where the file would go."""
    _plain_name(filename)
    target = directory / filename
    try:
        if stat.S_ISDIR(os.lstat(target).st_mode):
            raise _in_the_way(target)
    except FileNotFoundError:
        pass
    return target


def write_atomic(directory: Path, filename: str, text: str) -> Path:
    """Write ``directory/filename`` whole or not at all (temp file + rename); never outside ``directory``."""
    with atomic_writer(directory, filename) as (handle, target):
        handle.write(text)
    return target


@contextmanager
def atomic_writer(directory: Path, filename: str, newline: str = "\n") -> Iterator[tuple[IO[str], Path]]:
    """A text file to stream into, renamed to ``directory/filename`` only when complete.

    A killed process leaves the old file or the new one, never half of one (the rename is atomic),
    and a symbolic link at ``filename`` is replaced, never written through. There is no fsync: that
    would guard against a power cut, not a killed process, and costs more than grading a submission."""
    target = writable_target(directory, filename)
    fd, tmp = _temporary(directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            yield handle, target
        os.replace(tmp, target)
    except IsADirectoryError:  # became a folder while we wrote
        Path(tmp).unlink(missing_ok=True)
        raise _in_the_way(target) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class OutputError(GraderError):
    """Something in an output folder that grader will not write through or over: one line, exit status 2."""


def _in_the_way(target: Path) -> OutputError:
    return OutputError(f"{shown_path(target)}: is a directory, where grader writes a file; move it away")


def ensure_folder(path: Path, *, parents: bool = False) -> Path:
    """A real folder at ``path``, made if missing: a symbolic link there is refused (writing through it
    would write outside the output folder), and so is a file. ``parents``: make missing parents too
    (for the output folder a user names, which may itself be a link of the user's)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        try:
            path.mkdir(parents=parents)
        except FileExistsError:  # made by another process meanwhile: look again
            return ensure_folder(path)
        except OSError as exc:
            raise OutputError(f"{shown_path(path)}: cannot create this directory ({exc.strerror or exc})") from None
        return path
    except OSError as exc:
        raise OutputError(f"{shown_path(path)}: cannot be examined ({exc.strerror or exc})") from None
    if stat.S_ISLNK(mode):
        if parents and os.path.isdir(path):
            return path  # the output folder itself, named by the user: a link to a folder is the user's choice
        raise OutputError(f"{shown_path(path)}: is a symbolic link; grader writes only into real directories inside the "
                          "output folder: remove the link")
    if not stat.S_ISDIR(mode):
        raise OutputError(f"{shown_path(path)}: exists and is not a directory; move it away or choose another output directory")
    return path


def writable_folder(path: Path) -> Path:
    """A folder to write results into: made if missing, never a link, stale temporaries removed."""
    ensure_folder(path)
    remove_stale_temporaries(path)
    return path


STALE_SECONDS = 3600  # a temporary whose writer cannot be told is left this long before it counts as stale
_TEMPORARY = re.compile(r"\.tmp-(?:(\d+)-[0-9a-f]+-\d+|[^/]*)\.part")


def remove_stale_temporaries(directory: Path, *, own: bool = False) -> int:
    """Remove half-written files that killed runs left in ``directory`` (not below it): those whose
    process is gone, those of this process if ``own``, and any other after an hour. A file is
    unlinked by name: a link is removed, never followed. Returns how many were removed."""
    try:
        with os.scandir(directory) as entries:  # read as it goes: an output folder holds a report per student
            return _remove_stale(entries, own)
    except OSError:  # the folder cannot be listed (any more): nothing of ours to remove there
        return 0


def _remove_stale(entries: Iterator[os.DirEntry], own: bool) -> int:
    removed = 0
    for entry in entries:
        m = _TEMPORARY.fullmatch(entry.name)
        if not m or entry.is_dir(follow_symlinks=False):
            continue
        pid = int(m.group(1)) if m.group(1) else None
        if pid == os.getpid():
            stale = own
        elif pid is not None:
            stale = not is_running(pid)
        else:
            try:
                stale = time.time() - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
            except OSError:
                continue
        if stale:
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
    return removed


def is_running(pid: int) -> bool:
    """Is process ``pid`` alive (a zombie is not: a killed run's workers may linger as zombies where
    nothing reaps them, as in a container whose first process does not)?"""
    if os.path.isdir("/proc/self"):
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                return handle.read().rsplit(b")", 1)[-1].split()[0] not in (b"Z", b"X")
        except FileNotFoundError:
            return False
        except (OSError, IndexError):
            pass  # unreadable here: ask the kernel instead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except (OverflowError, ValueError):  # no process has such a number
        return False
    return True

