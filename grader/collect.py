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
import heapq
import itertools
import os
import stat
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .answer_files import is_answers_name
from .document import not_a_file
from .errors import GraderError, shown_path

SUFFIXES = (".yaml", ".yml", ".json")
OUTPUT_MARKERS = ("gradebook.sqlite", ".staging")  # what every folder grade writes into holds
_SEP, _ALTSEP = os.fsencode(os.sep), os.fsencode(os.altsep) if os.altsep else None


class CollectError(GraderError):
    """A path on the command line that is no class folder or submission file: one line, exit status 2."""


_MIX = 0x9E3779B97F4A7C15  # a file's device times this, then its inode mixed in: one number a file (identity())


class Listing:
    """The submission files of a run, in the order they are graded, packed: each file's name in one buffer, each
    folder's path once in another (a class folder's files share theirs), and each file's (device, inode) in an
    array. A class of 100,000 files in one folder costs about 2 MB here, where a list of paths cost 30 MB and the
    listing walk's own lists 80 MB more at their peak; a run's memory must not grow with its class (issue 13).
    Iterating gives ``Path`` objects, made one at a time."""

    def __init__(self) -> None:
        self._marks = array("Q")  # each file's identity(), once sealed
        self._bytes = bytearray()  # every file's name (its path after the last separator), os.fsencode'd
        self._ends = array("Q")  # where each name ends in _bytes
        self._folders = bytearray()  # each folder's path up to its last separator, once per run of its files
        self._folder_ends = array("Q")  # where each folder ends in _folders
        self._folder_of = array("I")  # each file's folder, by its place in _folder_ends
        self._last_folder: bytes | None = None
        self._identities = array("Q")  # device, inode of each file: two numbers a file
        self._linked = bytearray()  # 1 for a file reached through a symbolic link in a class folder

    def add(self, path: str, device: int, inode: int, linked: bool = False) -> None:
        encoded = os.fsencode(path)
        cut = encoded.rfind(_SEP) if _ALTSEP is None else max(encoded.rfind(_SEP), encoded.rfind(_ALTSEP))
        cut += 1  # the folder keeps its separator: the path is the two together
        folder = encoded[:cut]
        if folder != self._last_folder:
            self._folders += folder
            self._folder_ends.append(len(self._folders))
            self._last_folder = folder
        self._folder_of.append(len(self._folder_ends) - 1)
        self._bytes += encoded[cut:]
        self._ends.append(len(self._bytes))
        self._identities.extend((device, inode))
        self._linked.append(linked)

    def __len__(self) -> int:
        return len(self._ends)

    def path(self, index: int) -> str:
        return os.fsdecode(self._folder(self._folder_of[index])
                           + self._bytes[self._ends[index - 1] if index else 0:self._ends[index]])

    def _folder(self, k: int) -> bytes:
        return bytes(self._folders[self._folder_ends[k - 1] if k else 0:self._folder_ends[k]])

    def __iter__(self) -> Iterator[Path]:
        begin = 0
        shown, folder = -1, b""
        for end, k in zip(self._ends, self._folder_of):
            if k != shown:
                shown, folder = k, self._folder(k)
            yield Path(os.fsdecode(folder + self._bytes[begin:end]))
            begin = end

    def repeated(self, since: int) -> list[tuple[int, int]]:
        """(index, index of the same file met first) for each file from ``since`` on that was met before: under
        another name (a hard link, a symbolic link, the same folder given twice, a folder and its subfolder). A
        file met first wins, except that within the files from ``since`` on, a path that is no link beats a link."""
        count = len(self)
        if count - since < 1 or count < 2:
            return []
        identities = np.frombuffer(self._identities, dtype=np.uint64).reshape(-1, 2)
        mixed = np.sort(identities[:, 0] * np.uint64(_MIX) ^ identities[:, 1])  # one number a file: identity()
        if not (mixed[1:] == mixed[:-1]).any():  # the usual class: no file twice, told in 2 arrays, not 6
            return []
        del mixed
        rank = np.arange(count, dtype=np.int64)
        linked = np.frombuffer(self._linked, dtype=np.uint8).astype(bool)
        linked[:since] = False
        rank[linked] += count  # this walk's links come after every file of it
        order = np.lexsort((rank, identities[:, 1], identities[:, 0]))
        ordered = identities[order]
        same = np.all(ordered[1:] == ordered[:-1], axis=1)
        if not same.any():
            return []
        starts = np.where(np.concatenate(([True], ~same)), np.arange(count), 0)
        first = order[np.maximum.accumulate(starts)]
        return sorted((int(order[p]), int(first[p])) for p in np.flatnonzero(same) + 1)

    def seal(self) -> None:
        """Listing is done: each file's identity is kept as one number (:func:`identity`), for the reader to check
        that the file it opens is the one listed; the rest, needed only to tell files apart, is let go."""
        pairs = np.frombuffer(self._identities, dtype=np.uint64).reshape(-1, 2)
        self._marks = array("Q", (pairs[:, 0] * np.uint64(_MIX) ^ pairs[:, 1]).tobytes()) if len(pairs) else array("Q")
        self._identities = array("Q")
        self._linked = bytearray()

    def marks(self) -> Iterator[int]:
        """Each file's :func:`identity` as listed, in order; 0 (not known) for each before :meth:`seal`."""
        return iter(self._marks) if len(self._marks) == len(self) else itertools.repeat(0, len(self))

    def is_link(self, index: int) -> bool:
        return bool(self._linked[index])

    def drop(self, indices: Iterable[int]) -> None:
        """Leave these files out (kept in order)."""
        gone = set(indices)
        if not gone:
            return
        kept = Listing()
        for index in range(len(self)):
            if index not in gone:
                kept.add(self.path(index), *self._identities[2 * index:2 * index + 2], linked=self.is_link(index))
        self.__dict__.update(kept.__dict__)


def identity(info: os.stat_result) -> int:
    """A file's (device, inode) as one number: what the listing saw is what is read (a name swapped for a link to
    a file outside the class between the two reads another file, with another identity)."""
    return (info.st_dev * _MIX ^ info.st_ino) & 0xFFFF_FFFF_FFFF_FFFF


@dataclass
class Collected:
    files: Listing = field(default_factory=Listing)
    notes: list[str] = field(default_factory=list)  # one line per entry left out, and why
    folders: list[str] = field(default_factory=list)  # the class folders listed, whole
    # what is there but could not be listed or examined (no permission, an I/O error): what was graded from
    # under these before is not gone, only unseen this time
    unseen: list[str] = field(default_factory=list)


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
    listing = found.files
    out_real = os.path.realpath(out) if out is not None else None
    named_from = None  # where the files named one by one since the last folder begin in the listing
    for raw in paths:
        info = examine(raw)
        if stat.S_ISREG(info.st_mode):
            named_from = len(listing) if named_from is None else named_from
            listing.add(raw, info.st_dev, info.st_ino)
            continue
        if named_from is not None:  # told apart in one pass: a shell's class/*.yaml names thousands
            found.notes += _once(listing, named_from)
            named_from = None
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
        since = len(listing)
        said: list[str] = []
        if not _walk(raw, root, out_real, said, listing, found.unseen):
            raise CollectError(f"{shown_path(raw)}: no submission files (*.yaml, *.yml, *.json) in this directory")
        found.notes += sorted(said + _once(listing, since))
        found.folders.append(raw)
    if named_from is not None:
        found.notes += _once(listing, named_from)
    listing.seal()
    return found


def _once(listing: Listing, since: int) -> list[str]:
    """Leave out the files from ``since`` on that were listed already under another name; a note for each."""
    repeated = listing.repeated(since)
    notes = []
    for index, first in repeated:
        path, first_path = shown_path(listing.path(index)), shown_path(listing.path(first))
        notes.append(f"{path}: skipped, a symbolic link to {first_path}, which is graded under its own name"
                     if listing.is_link(index) else f"{path}: skipped, the same file as {first_path}, graded once")
    listing.drop(index for index, _ in repeated)
    return notes


FILE, FOLDER, LINK = "file", "folder", "link"


def _walk(top: str, root: str, out_real: str | None, said: list[str], listing: Listing, unseen: list[str]) -> int:
    """Add the submission files below ``top`` to ``listing`` in order of their paths, compared name by name
    (a folder's files among its subfolders' by name), folder by folder, so that no more than one folder's names
    are held at a time; returns how many were found. Reasons for entries left out go to ``said``; what is there
    but cannot be listed or examined, to ``unseen``."""
    found = 0
    stack = [_entries(top, top, root, out_real, said, unseen)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        path, what = item
        if what == FOLDER:
            stack.append(_entries(path, top, root, out_real, said, unseen))
            continue
        try:
            info = os.stat(path) if what == LINK else os.lstat(path)
        except OSError as exc:  # gone since it was listed, or closed
            said.append(f"{shown_path(path)}: skipped, cannot be examined ({exc.strerror or exc})")
            _not_gone(path, exc, unseen)
            continue
        listing.add(path, info.st_dev, info.st_ino, linked=what == LINK)
        found += 1
    return found


def _not_gone(path: str, exc: OSError, unseen: list[str]) -> None:
    """``path`` could not be listed or examined: unless it no longer exists, it is unseen, not gone."""
    if not isinstance(exc, FileNotFoundError):
        unseen.append(path)


def _entries(folder: str, top: str, root: str, out_real: str | None, said: list[str],
             unseen: list[str]) -> Iterator[tuple[str, str]]:
    """(path, FILE, FOLDER or LINK) of what ``folder`` holds to grade or to descend, sorted by name. A folder
    holding answers.yaml (or .yml, .json) is a student's submission folder: that file only."""
    files: list[str] = []  # names only: a folder of 100,000 files holds no more than their names here
    folders: list[str] = []
    links: list[str] = []
    answers: list[os.DirEntry] = []  # a few at most; kept whole, so the chosen one needs no second listing
    others = 0  # .yaml/.json files and folders beside an answers file
    local: list[str] = []  # reasons for this folder's entries; dropped if it is a submission folder
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                stem, suffix = os.path.splitext(name)  # once: 100,000 names are split here
                if is_answers_name(stem, suffix):
                    answers.append(entry)
                    continue
                wanted = suffix.lower() in SUFFIXES
                try:
                    what = _entry(entry, root, out_real, local, wanted, unseen)
                except OSError as exc:  # anything else the file system says: this entry only
                    local.append(f"{shown_path(entry.path)}: skipped, cannot be examined ({exc.strerror or exc})")
                    _not_gone(entry.path, exc, unseen)
                    continue
                if what is not None:
                    {FILE: files, FOLDER: folders, LINK: links}[what].append(name)
                if wanted or what == FOLDER or (what is None and _is_folder(entry)):
                    others += 1
    except OSError as exc:
        said.append(f"{shown_path(folder)}: skipped, cannot list it ({exc.strerror or exc})")
        _not_gone(folder, exc, unseen)
        return
    if answers:  # a student's submission folder: its answers file only, never its other files
        answers.sort(key=lambda e: (SUFFIXES.index(os.path.splitext(e.name)[1].lower()), e.name))
        chosen = answers[0]
        if folder == top and others:  # given as a class folder: say so if it looked like one
            said.append(f"{shown_path(top)}: read as one student's submission folder (it holds "
                        f"{shown_path(chosen.name)}); the {others} other .yaml/.json file(s) and "
                        "folder(s) in it are that student's files, not submissions")
        said.extend(f"{shown_path(e.path)}: skipped, this submission folder's answers are read "
                    f"from {shown_path(chosen.name)}" for e in answers[1:])
        try:
            if chosen.is_dir(follow_symlinks=False):
                said.append(f"{shown_path(chosen.path)}: skipped, a folder, not a submission file")
                return
            what = _entry(chosen, root, out_real, said, unseen=unseen)
        except OSError as exc:
            said.append(f"{shown_path(chosen.path)}: skipped, cannot be examined ({exc.strerror or exc})")
            _not_gone(chosen.path, exc, unseen)
            return
        if what in (FILE, LINK):
            yield chosen.path, what
        return
    said.extend(local)
    del local
    for kind in (files, folders, links):
        kind.sort()
    for name, what in heapq.merge(_tagged(files, FILE), _tagged(folders, FOLDER), _tagged(links, LINK)):
        yield os.path.join(folder, name), what


def _tagged(names: list[str], what: str) -> Iterator[tuple[str, str]]:
    for name in names:
        yield name, what


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _entry(entry: os.DirEntry, root: str, out_real: str | None, notes: list[str], wanted: bool | None = None,
           unseen: list[str] | None = None) -> str | None:
    """What this entry is to the listing: FILE or LINK (a submission file), FOLDER (to descend), or None
    (left out; the reason, if it is worth one, goes to ``notes``; a link whose target is there but cannot be
    examined, to ``unseen``). ``wanted``: does its name end in a submission suffix (the caller may know already)."""
    if wanted is None:
        wanted = os.path.splitext(entry.name)[1].lower() in SUFFIXES
    if entry.is_symlink():
        return LINK if _link(entry, root, wanted, notes, unseen) else None
    if entry.is_dir(follow_symlinks=False):
        if os.path.realpath(entry.path) == out_real:
            notes.append(f"{shown_path(entry.path)}: skipped, this run's --out")
        elif (marker := output_marker(entry.path)) is not None:
            notes.append(f"{shown_path(entry.path)}: skipped, a grader output folder (it holds {marker})")
        else:
            return FOLDER
        return None
    if not wanted:
        return None
    if entry.is_file(follow_symlinks=False):
        return FILE
    notes.append(f"{shown_path(entry.path)}: skipped, it {not_a_file(entry.stat(follow_symlinks=False).st_mode)}")
    return None


def _link(entry: os.DirEntry, root: str, wanted: bool, notes: list[str], unseen: list[str] | None = None) -> bool:
    path = shown_path(entry.path)
    try:
        info = os.stat(entry.path)  # follows the link: a loop or a closed folder on the way raises
    except OSError as exc:
        if wanted:  # a dangling link of another name is nobody's submission
            why = "it points to nothing" if exc.errno == errno.ENOENT else \
                f"its target cannot be examined ({exc.strerror or exc})"
            notes.append(f"{path}: skipped, a symbolic link; {why}")
            if unseen is not None and exc.errno != errno.ENOENT:
                unseen.append(entry.path)
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
