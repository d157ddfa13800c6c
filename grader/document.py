"""Read a YAML or JSON file into plain data, able to say where every value came from.

Why not ``yaml.safe_load``: error messages must say ``file:line:col``, so positions must
survive loading; and student files are untrusted, so size, nesting and alias expansion
are bounded while reading (a "billion laughs" file is refused, not expanded). Scalars
are resolved as YAML 1.2 (the core schema): ``1e-9`` is a number, ``no`` and ``y`` stay text.

Numbers keep the text they were written with (:class:`TextInt`, :class:`TextFloat`), so a
significant-figure check can read ``0.0500`` as three figures.
"""
from __future__ import annotations

import codecs
import errno
import itertools
import json
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml's parser when present (it is in PyYAML wheels); the pure-Python one otherwise
    from yaml import CSafeLoader as _EventLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _EventLoader  # type: ignore[assignment]

from .errors import InputError, quote, shown_path

Path_ = tuple  # a path into the data: keys and list indices, e.g. ("parts", 2, "options", "a")


@dataclass(frozen=True)
class Limits:
    """Bounds on untrusted input; each has a clear error when exceeded."""

    max_bytes: int = 1_000_000
    max_depth: int = 32
    max_nodes: int = 200_000  # counting every expansion of an alias


SPEC_LIMITS = Limits(max_bytes=5_000_000, max_depth=48, max_nodes=1_000_000)
SUBMISSION_LIMITS = Limits()


class TextInt(int):
    """An int that remembers how it was written."""

    text: str

    def __new__(cls, value: int, text: str) -> "TextInt":
        obj = super().__new__(cls, value)
        obj.text = text
        return obj

    def __reduce__(self):  # keep .text across processes
        return (TextInt, (int(self), self.text))


class TextFloat(float):
    """A float that remembers how it was written (``0.0500`` is not ``0.05`` to a sig-fig check)."""

    text: str

    def __new__(cls, value: float, text: str) -> "TextFloat":
        obj = super().__new__(cls, value)
        obj.text = text
        return obj

    def __reduce__(self):
        return (TextFloat, (float(self), self.text))


@dataclass
class Document:
    """Loaded data, and the node graph it came from: positions are found on demand (only an error
    needs one), by following a path through the nodes - aliases and merge keys included."""

    name: str
    data: Any
    root: Any = None  # the yaml node graph; for a document read as JSON, composed when a position is first asked
    text: str | None = None  # the text, while its node graph is not composed

    def where(self, path: Path_ = (), *, key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of ``path`` (of its key, with ``key``), or of its nearest ancestor."""
        if self.root is None and self.text is not None:  # (read as JSON: libyaml composes what json read)
            self.root, self.text = _compose(self.text), None
        node, mark, key_mark = self.root, getattr(self.root, "start_mark", None), None
        steps = tuple(path)
        reached = 0
        for step in steps:
            if isinstance(node, yaml.MappingNode):
                found = _lookup(node, step)
                if found is None:
                    break
                key_node, node = found
                key_mark = key_node.start_mark
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                node, key_mark = node.value[step], None
            else:
                break
            mark = node.start_mark
            reached += 1
        if key and key_mark is not None and reached == len(steps):
            mark = key_mark
        return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)

    def error(self, path: Path_, message: str, *, key: bool = False) -> InputError:
        line, col = self.where(path, key=key)
        return InputError(self.name, line, col, message)


def _lookup(mapping, name: Any):
    """(key node, value node) for ``name`` in a mapping node, its own keys first, then merged ones."""
    merged = []
    for key_node, value_node in mapping.value:
        if key_node.value == "<<" and key_node.tag == _PLAIN:
            merged += value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        elif key_node.value == name:
            return key_node, value_node
    for source in merged:
        if isinstance(source, yaml.MappingNode):
            found = _lookup(source, name)
            if found is not None:
                return found
    return None


def read_bytes(path: Path, limits: Limits) -> bytes:
    """A regular file's bytes, at most ``limits.max_bytes`` of them.

    Opened without blocking, then checked on the open descriptor: a named pipe, a device or a socket
    is refused at once (reading one would wait for a writer, or never end), and the size is bounded
    by the bytes actually read, not by the size the file system reports (``/dev/zero`` reports 0)."""
    return read_with_status(path, limits)[0]


def read_with_status(path: Path, limits: Limits) -> tuple[bytes, os.stat_result]:
    """:func:`read_bytes`, and the file's status as it was opened (a batch keeps its time: no second stat)."""
    def problem(message: str) -> InputError:  # the name made only for a file that has one (most have none)
        return InputError(shown_path(path), None, None, message)

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise problem("no such file") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket, or a pipe's other end: nothing to read
            raise problem("not a regular file (a socket?); give a file") from None
        raise problem(f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise problem(not_a_file(info.st_mode) + "; give a file")
        if info.st_size > limits.max_bytes:
            raise problem(f"file is {_size(info.st_size)}, over the limit of {_size(limits.max_bytes)}")
        chunks, total = [], 0
        while total <= limits.max_bytes:
            chunk = os.read(fd, min(1 << 20, limits.max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise problem(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if total > limits.max_bytes:  # grew while we read, or reported a wrong size
        raise problem(f"file is over the limit of {_size(limits.max_bytes)}")
    return b"".join(chunks), info


def not_a_file(mode: int) -> str:
    """Why a path of this kind is no file to read, said so a user knows what to give instead."""
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else None)
    return f"is {kind}, not a regular file" if kind else "is not a regular file"


def decode(raw: bytes, name: str) -> str:
    """UTF-8 (with or without a byte-order mark), or UTF-16 with one, as editors on every OS save."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(name, None, None, "starts like UTF-16 but is not valid UTF-16 text") from None
    text = raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw  # the mark some editors write first is not text
    try:
        return text.decode("utf-8")  # the C decoder itself ("utf-8-sig" goes through a Python function per file)
    except UnicodeDecodeError as exc:  # where in the text: after the mark, as an editor counts (it shows none)
        before = text[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise InputError(
            name, line, col, f"not UTF-8 text (byte 0x{text[exc.start]:02x}); save the file as UTF-8"
        ) from None


def load_file(path: str | Path, limits: Limits = SUBMISSION_LIMITS, raw: bytes | None = None) -> Document:
    """Read and parse a file; ``raw``, if given, is its content already read (within the limits)."""
    path = path if isinstance(path, Path) else Path(path)
    name = shown_path(path)
    if raw is None:
        raw = read_bytes(path, limits)
    elif len(raw) > limits.max_bytes:
        raise InputError(name, None, None, f"file is {_size(len(raw))}, over the limit of {_size(limits.max_bytes)}")
    return load_text(decode(raw, name), name, limits)


def load_text(text: str, name: str = "<input>", limits: Limits = SUBMISSION_LIMITS) -> Document:
    """Parse one YAML (or JSON) document. Raises :class:`InputError` with a position."""
    if len(text) > limits.max_bytes:
        raise InputError(name, None, None, f"input is over the limit of {_size(limits.max_bytes)}")
    if not text.strip():
        raise InputError(name, 1, 1, "file is empty")
    data = _read_json(text, limits)
    if data is not _UNDECIDED:
        return Document(name, data, text=text)
    builder = _Builder(name, text, limits)
    try:
        builder.run()
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(name, text, exc) from None
    except yaml.reader.ReaderError as exc:  # a control character: carries an offset, not a mark
        line, col = _line_col(text, exc.position)
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise InputError(name, line, col, f"control character U+{ord(char):04X} is not allowed in text") from None
    except yaml.YAMLError as exc:
        raise InputError(name, None, None, f"not readable as YAML: {exc}") from None
    except RecursionError:  # libyaml itself never recurses here; this is belt and braces
        raise InputError(name, None, None, f"nested more than {limits.max_depth} levels deep") from None
    return Document(name, builder.result, builder.root)


# --- the builder: libyaml's node graph -> plain data, iteratively, within bounds -----------------

_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
_NUMBER_START = frozenset("+-.0123456789")  # how every pattern above begins

_ALLOWED_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map", "!",
}


def resolve_plain(text: str) -> Any:
    """YAML 1.2 core-schema resolution of a plain (unquoted) scalar."""
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text[:1] not in _NUMBER_START:  # most answers: text, six patterns that cannot match left untried
        return text
    if _INT.fullmatch(text):
        if len(text) > 300:  # beyond any float; int() refuses over 4300 digits anyway
            return TextFloat(float(text), text)
        return TextInt(int(text), text)
    if _FLOAT.fullmatch(text):
        return TextFloat(float(text), text)
    if _OCT.fullmatch(text):
        return TextInt(int(text[2:], 8), text)
    if _HEX.fullmatch(text):
        return TextInt(int(text[2:], 16), text) if len(text) <= 250 else TextFloat(math.inf, text)
    if _INF.fullmatch(text):
        return TextFloat(-math.inf if text.startswith("-") else math.inf, text)
    if _NAN.fullmatch(text):
        return TextFloat(math.nan, text)
    return text


_PLAIN = "!plain"  # the tag our loader gives an untagged plain scalar: we resolve it ourselves (YAML 1.2)


class _Composer(_EventLoader):
    """libyaml composes the node graph (fast, in C); plain scalars are left for YAML 1.2 resolution."""

    def resolve(self, kind, value, implicit):  # called by the C composer for untagged nodes
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)


class _Builder:
    """Node graph -> plain data, walked iteratively: bounds enforced, aliases
    shared (not copied) but counted at their full size, so an alias bomb is refused, not expanded."""

    def __init__(self, name: str, text: str, limits: Limits):
        self.name = name
        self.text = text
        self.limits = limits
        self.result: Any = None
        self.root: Any = None

    def fail(self, mark, message: str) -> InputError:
        if mark is None:
            return InputError(self.name, None, None, message)
        return InputError(self.name, mark.line + 1, mark.column + 1, message)

    def run(self) -> None:
        loader = _Composer(self.text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
        if root is None:
            raise InputError(self.name, 1, 1, "file is empty")
        self.root = root
        self.result = self._walk(root)

    def _walk(self, root) -> Any:
        built: dict[int, Any] = {}  # node id -> its value; a node met again came through an alias
        budget = self.limits.max_nodes
        count = 0
        holder: list[Any] = [None]
        merges: list[tuple[dict, list[dict]]] = []  # mappings with '<<', completed after the walk
        stack: list[tuple] = [(root, 0, holder, 0)]  # (node, depth, container, key) to fill
        while stack:
            node, depth, into, slot = stack.pop()
            key = id(node)
            if key in built:  # an alias: the same value again, counted at its full size
                if _reaches(node, node):
                    raise self.fail(node.start_mark, "an alias refers to the value that contains it")
                count += _size_of(node, budget - count)
                if count > budget:
                    raise self.fail(node.start_mark, f"more than {budget} values (aliases expanding too far?)")
                into[slot] = built[key]
                continue
            count += 1
            if count > budget:
                raise self.fail(node.start_mark, f"more than {budget} values (aliases expanding too far?)")
            if type(node) is yaml.ScalarNode:
                value = self._scalar(node)
                built[key] = value
                into[slot] = value
                continue
            if depth >= self.limits.max_depth:
                raise self.fail(node.start_mark, f"nested more than {self.limits.max_depth} levels deep")
            if node.tag not in (_SEQ, _MAP):
                raise self.fail(node.start_mark, f"the tag {_short_tag(node.tag)} is not allowed here")
            if type(node) is yaml.SequenceNode:
                container: Any = [None] * len(node.value)
                built[key] = into[slot] = container
                stack.extend((child, depth + 1, container, i) for i, child in
                             reversed(list(enumerate(node.value))))
                continue
            container = {}
            built[key] = into[slot] = container
            children = []
            for key_node, value_node in node.value:
                if type(key_node) is not yaml.ScalarNode:
                    raise self.fail(key_node.start_mark, "a mapping key must be a single value, not a list or mapping")
                name = key_node.value
                if name == "<<" and key_node.tag == _PLAIN:
                    sources: list = [None]
                    merges.append((container, sources, key_node))
                    children.append((value_node, depth + 1, sources, 0))
                    continue
                if name in container:
                    raise self.fail(key_node.start_mark, f"duplicate key {quote(name)}")
                container[name] = None
                children.append((value_node, depth + 1, container, name))
            children.reverse()
            stack.extend(children)
        for container, sources, key_node in reversed(merges):  # inner mappings first
            merged = sources[0] if isinstance(sources[0], list) else [sources[0]]
            if not all(isinstance(m, dict) for m in merged):
                raise self.fail(key_node.start_mark, "a merge key '<<' takes a mapping or a list of mappings")
            for source in merged:  # the mapping's own keys win over merged ones
                for k, v in source.items():
                    container.setdefault(k, v)
        return holder[0]

    def _scalar(self, node) -> Any:
        text = node.value
        tag = node.tag
        if tag == _PLAIN:
            return resolve_plain(text)
        if tag == _STR:
            return text
        if tag not in _ALLOWED_TAGS:
            raise self.fail(node.start_mark, f"the tag {_short_tag(tag)} is not allowed here")
        if tag in (_SEQ, _MAP):
            raise self.fail(node.start_mark, f"the tag {_short_tag(tag)} does not fit a single value")
        value = resolve_plain(text)
        wanted = {":int": int, ":float": float, ":bool": bool, ":null": type(None)}
        for suffix, typ in wanted.items():
            if tag.endswith(suffix):
                if typ is float and isinstance(value, int) and not isinstance(value, bool):
                    return TextFloat(float(value), text)
                if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
                    raise self.fail(node.start_mark, f"{quote(text)} is not a valid {suffix[1:]}")
                return value
        return text


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


# --- JSON: read by the json module's C scanner, the node graph composed only if a position is asked ----

_UNDECIDED = object()  # not plain JSON within bounds: the YAML reader decides (and says what is wrong)
_JSON_START = re.compile(r"[ \r\n]*[\[{]")  # a tab before or after the collection: YAML refuses it
# what YAML forbids in text, and what it reads as a line break (NEL, LS, PS) where JSON sees a character
# (written as the characters it finds, not as [^ the others]: the same class, compiled in microseconds, not 5 ms)
_NOT_JSON_ALIKE = re.compile("[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u2028\u2029\uD800-\uDFFF\uFFFE\uFFFF]")
_ASCII_JSON_ALIKE = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x7F)])  # the same, for a text all ASCII: bytes.translate
# a key YAML cannot read: its colon on another line, or more than libyaml's 1,024 characters from its quote
_KEY_COLON_ON_NEXT_LINE = re.compile(r'"[ \t]*[\r\n][ \t\r\n]*:')
_KEY_AND_COLON = re.compile(r'"(?:[^"\\]|\\.)*"[ \t]*:')  # libyaml reads a key at most 1,024 characters to its colon
_FAR = 1_000  # a key and its colon this long or longer go to the YAML reader, which knows its limit to the character
_LONG_AFTER_QUOTE = re.compile(r'"[^"]{500}')  # what a far key needs (500 of its characters, or of the blanks
                                               # after it), unless a quote inside it is escaped
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Repeated(Exception):
    """A JSON object names a key twice: the YAML reader says where."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _Repeated
    return mapping


# JSON's values as YAML 1.2 reads the same text: numbers keep their written text, NaN and Infinity (not JSON, but
# accepted by the json module) are plain words
_JSON = json.JSONDecoder(parse_float=resolve_plain, parse_int=resolve_plain, parse_constant=str,
                         object_pairs_hook=_unique_keys)


def _read_json(text: str, limits: Limits) -> Any:
    """The data of a JSON text, as the YAML reader would make it (JSON is YAML 1.2), 10-20x faster: most submissions
    from forms, LMS exports and scripts are JSON. Whatever the two might read differently goes to the YAML reader,
    as does anything wrong, which it locates: text YAML forbids (control characters) or reads as a line break, a
    tab outside the collection, a key YAML cannot read, a repeated key, a value past the bounds, a lone escaped
    half of a character. One difference is deliberate: an escaped pair of surrogates (``"\\ud83d\\ude00"``, as
    ``json.dumps`` writes an emoji) is the character JSON says it is, where libyaml refuses it."""
    # (a text with as many commas as the bound on values may be past it: the YAML reader reads it once and says so,
    # rather than this reading it first only to find that out)
    if not _JSON_START.match(text) or text.rstrip(" \r\n")[-1:] not in ("]", "}") or not _json_alike(text) \
            or _key_yaml_refuses(text) or text.count(",") >= limits.max_nodes:
        return _UNDECIDED
    try:
        data = _JSON.decode(text)
    except (ValueError, RecursionError, _Repeated):
        return _UNDECIDED
    strings = "\\u" in text and _SURROGATE_ESCAPE.search(text) is not None  # then look for halves left alone
    count, stack = 1, [(data, 0)]  # the bounds the YAML reader keeps: values, and depth of containers
    while stack:
        value, depth = stack.pop()
        if depth >= limits.max_depth:
            return _UNDECIDED
        children = value.values() if type(value) is dict else value
        count += len(children)
        if count > limits.max_nodes:
            return _UNDECIDED
        if strings and any(type(s) is str and _SURROGATE.search(s) for s in
                           itertools.chain(value if type(value) is dict else (), children)):
            return _UNDECIDED
        stack.extend((child, depth + 1) for child in children if type(child) is dict or type(child) is list)
    return data


def _json_alike(text: str) -> bool:
    """No character YAML forbids or reads as a line break (:data:`_NOT_JSON_ALIKE`); an ASCII text, the usual
    one, is checked ten times faster by deleting every allowed byte."""
    if text.isascii():
        return not text.encode("ascii").translate(None, _ASCII_JSON_ALIKE)
    return _NOT_JSON_ALIKE.search(text) is None


def _key_yaml_refuses(text: str) -> bool:
    """A key whose colon is on another line, or far from it: the exact searches run only where they can match
    (the one for far keys walks every quoted string character by character, half a millisecond a submission)."""
    if ("\n" in text or "\r" in text) and _KEY_COLON_ON_NEXT_LINE.search(text):
        return True
    if '\\"' not in text and not _LONG_AFTER_QUOTE.search(text):
        return False
    return any(m.end() - m.start() >= _FAR for m in _KEY_AND_COLON.finditer(text))  # escapes and blanks together


def _compose(text: str) -> Any:
    """The node graph of a text already read as JSON, for positions. libyaml refuses escaped surrogates: in their
    place, escapes of the same length keep every position. None (so positions are 1:1) if it still cannot."""
    for attempt in (text, _SURROGATE_ESCAPE.sub(r"\\u0041", text)):
        loader = _Composer(attempt)
        try:
            return loader.get_single_node()
        except yaml.YAMLError:
            continue
        finally:
            loader.dispose()
    return None


def _children(node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [v for _, v in node.value]
    return []


def _reaches(start, target) -> bool:
    """Does a path of one or more steps lead from ``start`` back to ``target`` (a recursive alias)?"""
    seen: set[int] = set()
    stack = list(_children(start))
    while stack:
        node = stack.pop()
        if node is target:
            return True
        if id(node) not in seen:
            seen.add(id(node))
            stack.extend(_children(node))
    return False


def _size_of(node, limit: int) -> int:
    """Values in a subtree, every alias counted in full; stops counting just past ``limit``."""
    count = 0
    stack = [node]
    while stack and count <= limit:
        current = stack.pop()
        count += 1
        stack.extend(_children(current))
    return count


_TAB_HINT = "a tab character is not allowed here; YAML indents with spaces"


def _yaml_error(name: str, text: str, exc: yaml.MarkedYAMLError) -> InputError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    col = mark.column + 1 if mark else None
    problem = (exc.problem or "not valid YAML").strip()
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        problem = _TAB_HINT
    elif "maximum nesting depth" in problem:
        problem = "nested too deeply"
    elif "undefined alias" in problem:
        problem = "unknown alias: no anchor (&name) of that name comes before it"
    elif "another document" in problem:
        problem = "more than one YAML document ('---') in one file"
    elif "mapping values are not allowed" in problem:
        problem += " (is there a ': ' inside a value? put that value in quotes)"
    elif exc.context and exc.context not in problem:
        problem = f"{problem} ({exc.context.strip()})"
    return InputError(name, line, col, problem)


def _short_tag(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag


def _line_col(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def _size(n: int) -> str:
    return f"{n:,} bytes"
