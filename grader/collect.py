"""Which files a ``grade`` run reads: the submission files under the paths a user gives.

A class folder is whatever people put in it, so the listing never trusts it:

- submission files end in ``.yaml``, ``.yml`` or ``.json``; hidden files and folders (a leading
  ``.``) are left out;
- a folder holding ``answers.yaml`` (or ``.yml``, ``.json``) is one student's submission folder: that file
  is the submission, and nothing else in the folder is (the student's code and data files, a
  ``config.yaml`` of theirs, its subfolders); with more than one answers file, ``.yaml`` wins, then
  ``.yml``, and the others are reported as left out. The class folder given may itself be one;
- an output folder is never read: the run's own ``--out``, and any folder holding a gradebook
  (``gradebook.sqlite``) or grader's staging folder, so last run's reports never pose as submissions;
- a symbolic link to a folder is not followed; a link to a file is followed only when the file it
  names lies inside the class folder (a link out of the class could read any file the grader may);
- an entry that is not a regular file (a named pipe, a device), or that cannot be examined (a link
  loop, a link into a folder the grader may not read), is left out;
- every entry left out for a reason other than its name is reported on a line of its own, and the
  listing goes on: one bad entry never hides the files after it.

A path given by name on the command line is the user's own choice: a regular file is read wherever
it is, links and all; anything else (a pipe, a device, an output folder) is refused at once.
"""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .answer_files import is_answers_file
from .document import not_a_file
from .errors import GraderError, shown_path

SUFFIXES = (".yaml", ".yml", ".json")
OUTPUT_MARKERS = ("gradebook.sqlite", ".staging")  # what every folder grade writes into holds


class CollectError(GraderError):
    """A path on the command line that is no class folder or submission file: one line, exit status 2."""


@dataclass
class Collected:
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one line per entry left out, and why
    folders: list[str] = field(default_factory=list)  # the class folders listed, whole


def examine(raw: str) -> os.stat_result:
    """What a path named on the command line is (links followed), or one line saying why it cannot be told."""
    try:
        return os.stat(raw)
    except FileNotFoundError:
        raise CollectError(f"{shown_path(raw)}: no such file or directory") from None
    except OSError as exc:
        raise CollectError(f"{shown_path(raw)}: cannot be examined ({exc.strerror or exc})") from None


def regular_file(raw: str) -> Path:
    """A file named on the command line: refused at once unless it is a regular file (a pipe would keep
    the grader waiting for a writer; a device would never end)."""
    info = examine(raw)
    if not stat.S_ISREG(info.st_mode):
        raise CollectError(f"{shown_path(raw)}: {not_a_file(info.st_mode)}; give a file")
    return Path(raw)


def submission_file(raw: str) -> Path:
    """A submission named on the command line (``grader check``): a file, or a submission folder, which
    stands for its answers file (answers.yaml, else .yml, else .json)."""
    info = examine(raw)
    if not stat.S_ISDIR(info.st_mode):
        return regular_file(raw)
    for suffix in SUFFIXES:
        candidate = os.path.join(raw, "answers" + suffix)
        if os.path.lexists(candidate):
            return regular_file(candidate)
    raise CollectError(f"{shown_path(raw)}: is a folder without answers.yaml; a submission folder holds "
                       "answers.yaml and the files it names")


def output_marker(folder: str | Path) -> str | None:
    """The marker that makes ``folder`` a grader output folder, or None. Markers are looked at, never
    followed: a link named gradebook.sqlite marks the folder as well as the file would."""
    for marker in OUTPUT_MARKERS:
        if os.path.lexists(os.path.join(folder, marker)):
            return marker
    return None


def collect(paths: list[str], out: Path | None = None) -> Collected:
    """The submission files under ``paths`` (files and class folders), sorted within each folder given;
    ``out``: this run's output folder, never read and never to be a class folder itself. A file reached twice
    (the same folder given twice, a folder and its subfolder, a link to a file graded anyway) is graded once."""
    found = Collected()
    seen: dict[tuple[int, int], str] = {}  # (device, inode) of each file collected -> its path
    out_real = os.path.realpath(out) if out is not None else None
    for raw in paths:
        info = examine(raw)
        if stat.S_ISREG(info.st_mode):
            first = seen.get((info.st_dev, info.st_ino))
            if first is None:
                seen[(info.st_dev, info.st_ino)] = raw
                found.files.append(Path(raw))
            else:
                found.notes.append(f"{shown_path(raw)}: skipped, the same file as {shown_path(first)}, graded once")
            continue
        if not stat.S_ISDIR(info.st_mode):
            raise CollectError(f"{shown_path(raw)}: {not_a_file(info.st_mode)}; give a submission file or a class "
                               "folder")
        root = os.path.realpath(raw)
        if root == out_real:
            raise CollectError(f"{shown_path(raw)}: is also --out; reports written into the class folder would be "
                               "read as submissions next time: give --out another folder (the default is reports)")
        marker = output_marker(raw)
        if marker:
            raise CollectError(f"{shown_path(raw)}: is a grader output folder (it holds {marker}), not a class "
                               "folder; give the folder of submissions")
        if os.path.basename(root) == "export" and output_marker(os.path.dirname(root)):
            raise CollectError(f"{shown_path(raw)}: is where grader exports a graded class, not a class folder; give "
                               "the folder of submissions")
        files, candidates = _walk(raw, root, out_real, found.notes, seen)
        if not candidates:
            raise CollectError(f"{shown_path(raw)}: no submission files (*.yaml, *.yml, *.json) in this directory")
        found.files += [Path(p) for p in files]
        found.folders.append(raw)
    return found


def _walk(top: str, root: str, out_real: str | None, notes: list[str],
          seen: dict[tuple[int, int], str]) -> tuple[list[str], int]:
    """(the new submission files below ``top``, how many it found, those reached before included)."""
    files: list[tuple[tuple[int, int], str]] = []
    links: list[tuple[tuple[int, int], str]] = []  # links to files inside the class folder: kept unless graded anyway
    said: list[str] = []
    folders = [top]
    while folders:
        folder = folders.pop()
        try:
            device = os.stat(folder).st_dev
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError as exc:
            said.append(f"{shown_path(folder)}: skipped, cannot list it ({exc.strerror or exc})")
            continue
        answers = sorted((e for e in listed if not e.name.startswith(".") and is_answers_file(e.name)),
                         key=lambda e: (SUFFIXES.index(os.path.splitext(e.name)[1].lower()), e.name))
        if answers:  # a student's submission folder: its answers file only, never its other files
            if folder == top:  # given as a class folder: say so if it looked like one
                others = sum(1 for e in listed if not e.name.startswith(".") and e not in answers and (
                    e.is_dir(follow_symlinks=False) or os.path.splitext(e.name)[1].lower() in SUFFIXES))
                if others:
                    said.append(f"{shown_path(top)}: read as one student's submission folder (it holds "
                                f"{shown_path(answers[0].name)}); the {others} other .yaml/.json file(s) and "
                                "folder(s) in it are that student's files, not submissions")
            listed = answers[:1]
            said += [f"{shown_path(e.path)}: skipped, this submission folder's answers are read from "
                     f"{shown_path(answers[0].name)}" for e in answers[1:]]
        for entry in listed:
            if entry.name.startswith("."):
                continue
            try:
                if answers and entry.is_dir(follow_symlinks=False):
                    said.append(f"{shown_path(entry.path)}: skipped, a folder, not a submission file")
                    continue
                kept = _entry(entry, root, out_real, said, folders)
                if kept:
                    if entry.is_symlink():
                        target = os.stat(entry.path)
                        links.append(((target.st_dev, target.st_ino), entry.path))
                    else:
                        files.append(((device, entry.inode()), entry.path))
            except OSError as exc:  # anything else the file system says: this entry only
                said.append(f"{shown_path(entry.path)}: skipped, cannot be examined ({exc.strerror or exc})")
    kept_files = []
    for identity, path in sorted(files, key=lambda item: item[1].split(os.sep)) + sorted(links, key=lambda i: i[1]):
        first = seen.get(identity)
        if first is None:
            seen[identity] = path
            kept_files.append(path)
        elif os.path.islink(path):
            said.append(f"{shown_path(path)}: skipped, a symbolic link to {shown_path(first)}, which is graded under "
                        "its own name")
        else:
            said.append(f"{shown_path(path)}: skipped, the same file as {shown_path(first)}, graded once")
    notes += sorted(said)
    return sorted(kept_files, key=lambda p: p.split(os.sep)), len(files) + len(links)


def _entry(entry: os.DirEntry, root: str, out_real: str | None, notes: list[str], folders: list[str]) -> bool:
    """Is this entry a submission file to grade? Folders to descend go to ``folders``; reasons to ``notes``."""
    wanted = os.path.splitext(entry.name)[1].lower() in SUFFIXES
    path = shown_path(entry.path)
    if entry.is_symlink():
        return _link(entry, root, wanted, notes)
    if entry.is_dir(follow_symlinks=False):
        if os.path.realpath(entry.path) == out_real:
            notes.append(f"{path}: skipped, this run's --out")
        elif (marker := output_marker(entry.path)) is not None:
            notes.append(f"{path}: skipped, a grader output folder (it holds {marker})")
        else:
            folders.append(entry.path)
        return False
    if not wanted:
        return False
    if entry.is_file(follow_symlinks=False):
        return True
    notes.append(f"{path}: skipped, it {not_a_file(entry.stat(follow_symlinks=False).st_mode)}")
    return False


def _link(entry: os.DirEntry, root: str, wanted: bool, notes: list[str]) -> bool:
    path = shown_path(entry.path)
    try:
        info = os.stat(entry.path)  # follows the link: a loop or a closed folder on the way raises
    except OSError as exc:
        if wanted:  # a dangling link of another name is nobody's submission
            why = "it points to nothing" if exc.errno == errno.ENOENT else \
                f"its target cannot be examined ({exc.strerror or exc})"
            notes.append(f"{path}: skipped, a symbolic link; {why}")
        return False
    if stat.S_ISDIR(info.st_mode):
        notes.append(f"{path}: skipped, a symbolic link to a folder (links to folders are not followed)")
        return False
    if not wanted:
        return False
    if not stat.S_ISREG(info.st_mode):
        notes.append(f"{path}: skipped, a symbolic link to something that {not_a_file(info.st_mode)}")
        return False
    if os.path.commonpath([root, os.path.realpath(entry.path)]) != root:
        notes.append(f"{path}: skipped, a symbolic link to a file outside the class folder (not followed)")
        return False
    return True
