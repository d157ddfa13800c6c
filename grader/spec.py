"""Problem spec (YAML) -> :class:`~grader.model.Assignment`, or every problem in it at ``file:line:col``.

Three passes, each reporting all it finds: the JSON Schema (shapes and types of fields),
each kind's ``configure`` (answers among the options, solver names and params, tolerances),
then the assignment as a whole (unique ids, totals) and solving every part once, so a
spec that loads is a spec that grades.
"""
from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from .document import SPEC_LIMITS, Document, load_file
from .errors import InputError, SpecErrors
from .kinds import KINDS
from .kinds.common import SpecProblem
from .model import Assignment, Group, Part
from .schemas import validator
from .solvers import SolverError
from .variants import REFERENCE, Plan, VariantError, draw, permutation, read_plan, student_key, substitute, \
    uses_variables

PROBE_STUDENTS = 8  # variants drawn when a randomized spec loads, so a spec that loads grades every student
MAX_CACHED = 2_000  # variants and built parts remembered per spec


@dataclass(frozen=True)
class Variant:
    """One student's version of the assignment: their parts (same ids and points), references and labels.

    ``keys`` tells the versions of a part apart (empty for a part every student shares), so a
    remembered verdict is only reused for the same version; ``labels`` maps the option labels a
    student saw back to the spec's, for parts whose options are shuffled.
    """

    student: str
    values: dict[str, Any]
    parts: tuple[Part, ...]
    references: dict[str, Any]
    keys: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # the varied parts' fields, as resolved


@dataclass(frozen=True)
class PartTemplate:
    """A part whose fields depend on the student: as written in the spec, with where it sits."""

    id: str
    fields: dict[str, Any]
    path: tuple
    group: str | None
    release_all: bool


@dataclass(frozen=True)
class LoadedSpec:
    """An assignment with its references, and - for a randomized spec - how to make each student's variant.

    ``assignment`` and ``references`` are the canonical version (for a randomized spec, the first
    probe variant's). ``verdicts`` remembers the outcome of every answer already checked: grading
    is a pure function of (part version, answer), and a class repeats its answers a great deal.
    """

    assignment: Assignment
    references: dict[str, Any]
    verdicts: dict = field(default_factory=dict, compare=False, repr=False)
    plan: Plan | None = None
    templates: tuple[PartTemplate, ...] = ()
    _variants: dict = field(default_factory=dict, compare=False, repr=False)
    _built: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def randomized(self) -> bool:
        return self.plan is not None

    def variant(self, student: object) -> Variant:
        """The student's version; raises :class:`VariantError` if it cannot be built."""
        if self.plan is None:
            return Variant("", {}, self.assignment.parts, self.references)
        key = student_key(student)
        found = self._variants.get(key)
        if found is None:
            problems: list[tuple[tuple, str]] = []
            found = self._make_variant(key, problems)
            if problems:
                path, message = problems[0]
                raise VariantError(path, message)
            if len(self._variants) >= MAX_CACHED:
                self._variants.clear()
            self._variants[key] = found
        return found

    def _make_variant(self, key: str, problems: list[tuple[tuple, str]]) -> Variant:
        values = draw(self.plan, key)
        parts = {p.id: p for p in self.assignment.parts}
        references = dict(self.references)
        keys, labels, resolved = {}, {}, {}
        for template in self.templates:
            found: list[tuple[tuple, str]] = []
            fields = substitute(template.fields, values, template.path, found)
            if fields.get("shuffle"):
                order = permutation(self.plan, key, template.id, len(fields["options"]))
                fields, labels[template.id] = KINDS[fields["kind"]].shuffled(fields, order)
            digest = hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:16]
            built = self._built.get((template.id, digest))
            if built is None and not found:
                spot = _Collect(template.path, f"part {template.id}", found)
                built = build_part(fields, template.group, template.release_all, spot)
                if built[0] is not None:
                    if len(self._built) >= MAX_CACHED:
                        self._built.clear()
                    self._built[(template.id, digest)] = built
            if found or built is None or built[0] is None:
                problems.extend(found or [(template.path, f"part {template.id}: cannot be built for this student")])
                continue
            parts[template.id], references[template.id] = built
            keys[template.id], resolved[template.id] = digest, fields
        return Variant(key, values, tuple(parts[p.id] for p in self.assignment.parts), references, keys, labels,
                       resolved)


def load_spec(path: str | Path, probes: int = PROBE_STUDENTS) -> LoadedSpec:
    """Load, validate and solve a spec. Raises :class:`SpecErrors` listing every problem.

    A randomized spec is checked on its first probe variant (``$name`` references replaced by
    values, then the schema and every part), then on ``probes`` more made-up students
    (``grader validate`` asks for hundreds: a tie one student in a hundred draws shows there).
    """
    try:
        doc = load_file(path, SPEC_LIMITS)
    except InputError as exc:
        raise SpecErrors([exc]) from None
    problems = _non_finite(doc) + schema_problems(doc, "problem.schema.json", skip_references=True)
    _raise_if(problems)
    plan = read_plan(doc.data, _shuffles(doc.data), lambda path, message: problems.append(doc.error(path, message)))
    if plan is not None:
        problems += _fixed_fields(doc)
    _raise_if(problems)
    raw = doc
    if plan is not None:
        try:
            values = draw(plan, _probe(0))
        except VariantError as exc:
            raise SpecErrors([doc.error(exc.path, exc.message)]) from None
        found: list[tuple[tuple, str]] = []
        data = dict(doc.data)
        for key in ("parts", "questions"):
            if key in data:
                data[key] = substitute(data[key], values, (key,), found)
        doc = dataclasses.replace(doc, data=data)
        problems = [doc.error(path, message) for path, message in found] + _non_finite(doc) \
            + schema_problems(doc, "problem.schema.json")
        _raise_if(problems)
    builder = _Builder(doc, raw.data, plan)
    loaded = builder.build()
    _raise_if(builder.problems)
    if plan is not None:
        _raise_if(_probe_variants(loaded, raw, probes))
    return loaded


FIXED_FIELDS = ("id", "kind", "points", "shuffle")  # the same for every student: reports and totals rely on it


def _fixed_fields(doc: Document) -> list[InputError]:
    problems = []
    for path, part in _parts_of(doc.data):
        for name in FIXED_FIELDS:
            if isinstance(part.get(name), str) and REFERENCE.match(part[name]):
                problems.append(doc.error(path + (name,), f"{name} cannot vary per student: every student's version "
                                                          "of a part has the same id, kind and points"))
    return problems


def _parts_of(data: dict[str, Any]) -> list[tuple[tuple, dict]]:
    found = [(("parts", i), p) for i, p in enumerate(data.get("parts", []))]
    for g, question in enumerate(data.get("questions", [])):
        found += [(("questions", g, "parts", i), p) for i, p in enumerate(question.get("parts", []))]
    return [(path, p) for path, p in found if isinstance(p, dict)]


def _raise_if(problems: list[InputError]) -> None:
    if problems:
        raise SpecErrors(sorted(problems, key=lambda p: (p.line or 0, p.col or 0)))


def _probe(i: int) -> str:
    return f"~probe-{i}"  # not a student id anyone has: ids have no "~"


def _shuffles(data: dict[str, Any]) -> bool:
    parts = list(data.get("parts", [])) + [p for q in data.get("questions", []) for p in q.get("parts", [])]
    return any(isinstance(p, dict) and p.get("shuffle") for p in parts)


def _probe_variants(loaded: LoadedSpec, raw: Document, count: int) -> list[InputError]:
    """Build ``count`` more variants: a constraint that rarely holds, a tie only some draws make, or a
    value of the wrong kind in some versions shows here. The first few are schema-checked too."""
    for i in range(1, count + 1):
        problems: list[tuple[tuple, str]] = []
        try:
            if i <= PROBE_STUDENTS:
                values = draw(loaded.plan, student_key(_probe(i)))
                data = dict(raw.data)
                for key in ("parts", "questions"):
                    if key in data:
                        data[key] = substitute(data[key], values, (key,), problems)
                resolved = dataclasses.replace(raw, data=data)
                found = _non_finite(resolved) + schema_problems(resolved, "problem.schema.json")
                if found:
                    return [InputError(p.file, p.line, p.col, p.message + _IN_A_PROBE) for p in found]
            loaded._make_variant(student_key(_probe(i)), problems)
        except VariantError as exc:
            problems.append((exc.path, exc.message))
        if problems:
            return [raw.error(path, message + _IN_A_PROBE) for path, message in problems]
    return []


_IN_A_PROBE = " (in one of the variants drawn at random to check the spec)"


def _non_finite(doc: Document) -> list[InputError]:
    """NaN and infinities pass JSON Schema's number checks, yet no points, tolerance or param can be one."""
    problems = []
    stack: list[tuple[tuple, Any]] = [((), doc.data)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((path + (k,), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((path + (i,), v) for i, v in enumerate(node))
        elif isinstance(node, (int, float)) and not isinstance(node, bool) and not _is_finite(node):
            text = getattr(node, "text", repr(node))
            text = text if len(text) <= 40 else text[:39] + "…"
            problems.append(doc.error(path, f"{_field_name(doc, path)}: {text} is not a finite number"))
    return problems


def _is_finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


# --- schema errors with positions -----------------------------------------------------------

def schema_problems(doc: Document, schema: str, *, skip_references: bool = False) -> list[InputError]:
    """Every schema error at ``file:line:col``. ``skip_references``: a ``$name`` where a value goes is
    checked later, once a variant gives it a value."""
    errors = sorted(validator(schema).iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path)))
    if skip_references:
        errors = [e for e in errors if not (isinstance(e.instance, str) and REFERENCE.match(e.instance))]
    problems: list[InputError] = []
    for error in errors:
        problems.extend(_explain(doc, error))
    unique = {(p.line, p.col, p.message): p for p in problems}
    return sorted(unique.values(), key=lambda p: (p.line or 0, p.col or 0))


_UNEXPECTED = re.compile(r"\('(.+)' (?:was|were) unexpected\)")


def _explain(doc: Document, error: jsonschema.ValidationError) -> list[InputError]:
    path = tuple(error.absolute_path)
    where = _field_name(doc, path)
    prefix = f"{where}: " if where else ""
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        names = _UNEXPECTED.search(error.message)
        found = names.group(1).split("', '") if names else []
        instance = error.instance if isinstance(error.instance, dict) else {}
        if error.validator == "unevaluatedProperties" and instance.get("kind") not in KINDS:
            return []  # the unknown kind is the problem; its fields are not
        allowed = _allowed_fields(error)
        out = []
        # a kind's fields count as "unevaluated" when any of them is invalid: report only real strangers
        for name in (n for n in found if n not in allowed):
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else (f" (allowed: {', '.join(allowed)})" if allowed else "")
            out.append(doc.error(path + (name,), f"{prefix}unknown field {name!r}{hint}", key=True))
        return out
    if error.validator == "required":
        missing = re.match(r"'(.+)' is a required property", error.message)
        name = missing.group(1) if missing else error.message
        return [doc.error(path, f"{prefix}missing field {name!r}")]
    if error.validator == "enum" and path and path[-1] == "kind":
        kinds = list(KINDS)
        close = difflib.get_close_matches(str(error.instance), kinds, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return [doc.error(path, f"{prefix}unknown kind {error.instance!r}{hint}; kinds are {', '.join(kinds)}")]
    if error.validator in ("oneOf", "anyOf") and not (isinstance(error.instance, dict) and "kind" in error.instance):
        # the alternative of the value's own type says most ("too long", "unknown field"), not "'x' expected"
        telling = [e for e in error.context if e.validator not in ("const", "type", "enum")] or error.context
        inner = jsonschema.exceptions.best_match(telling) if telling else None
        if inner is not None:  # a value inside a part: explain the closest alternative's complaint
            return _explain(doc, inner)
        return [doc.error(path, f"{prefix}{_short(error.instance)} is not a valid value here")]
    if error.validator in ("oneOf", "anyOf"):
        given = set(error.instance) & {"answer", "solver"} if isinstance(error.instance, dict) else None
        if given == {"answer", "solver"} and error.instance.get("kind") == "numeric":
            return [doc.error(path, f"{prefix}give either 'answer' or 'solver', not both")]
        if not given:
            return [doc.error(path, f"{prefix}missing field 'answer' (or 'solver' to compute it)")]
        return [doc.error(path, f"{prefix}{_short(error.instance)} is not a valid value here")]
    if error.validator in ("minimum", "exclusiveMinimum"):
        bound = error.validator_value
        words = "must not be negative" if bound == 0 and error.validator == "minimum" else (
            "must be more than 0" if bound == 0 else f"must be at least {bound}")
        return [doc.error(path, f"{prefix}{words}, not {_short(error.instance)}")]
    if error.validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return [doc.error(path, f"{prefix}must be {' or '.join(_TYPE_WORDS.get(t, t) for t in wanted)}, "
                                f"not {_describe(error.instance)}")]
    return [doc.error(path, f"{prefix}{error.message}")]


_TYPE_WORDS = {"string": "text", "number": "a number", "integer": "a whole number", "array": "a list",
               "object": "a mapping", "boolean": "true or false", "null": "empty"}


def _allowed_fields(error: jsonschema.ValidationError) -> list[str]:
    schema = error.schema
    names = list(schema.get("properties", {}))
    instance = error.instance
    for branch in schema.get("allOf", []):
        cond = branch.get("if", {}).get("properties", {})
        if all(isinstance(instance, dict) and instance.get(k) == v.get("const") for k, v in cond.items()):
            names += list(branch.get("then", {}).get("properties", {}))
    return names


def _field_name(doc: Document, path: tuple) -> str:
    """``q3a.tolerance.rtol`` rather than ``parts[4].tolerance.rtol``: name the part by its id."""
    words: list[str] = []
    node: Any = doc.data
    for step in path:
        if isinstance(node, list) and isinstance(step, int) and step < len(node):
            item = node[step]
            pid = item.get("id") if isinstance(item, dict) else None
            if words and words[-1] in ("parts", "questions"):
                words.pop()
            words.append(str(pid) if isinstance(pid, str) and pid else f"[{step}]")
        else:
            words.append(str(step))
        node = node[step] if isinstance(node, (dict, list)) and _has(node, step) else None
    text = ".".join(words).replace(".[", "[")
    return text


def _has(node: Any, step: Any) -> bool:
    return (isinstance(node, dict) and step in node) or (isinstance(node, list) and isinstance(step, int)
                                                          and 0 <= step < len(node))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "empty"
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "a mapping"
    return _short(value)


# --- building the model ---------------------------------------------------------------------

@dataclass
class _PartSpot:
    """A part's place in the document: ``configure`` reports problems relative to it."""

    doc: Document
    base: tuple
    label: str
    problems: list[InputError]

    def error(self, path: tuple, message: str, *, key: bool = False) -> None:
        self.problems.append(self.doc.error(self.base + tuple(path), f"{self.label}: {message}", key=key))


@dataclass
class _Collect:
    """A spot that collects (path, message), for building a student's variant away from the document."""

    base: tuple
    label: str
    problems: list[tuple[tuple, str]]

    def error(self, path: tuple, message: str, *, key: bool = False) -> None:
        self.problems.append((self.base + tuple(path), f"{self.label}: {message}"))


def build_part(raw: dict[str, Any], group: str | None, release_all: bool, spot: Any) -> tuple[Part | None, Any]:
    """One part's fields -> (Part, reference): configured by its kind, then solved. Problems go to ``spot``."""
    kind = KINDS[raw["kind"]]
    release = bool(raw.get("release_answer", release_all))
    config = kind.configure({**raw, "release_answer": release}, spot)  # kinds see the resolved flag
    if config is None:
        return None, None
    try:
        reference = kind.solve(config)
    except SolverError as exc:
        spot.error(("params",) + exc.path, exc.message)
        return None, None
    except SpecProblem as exc:
        spot.error(exc.path, exc.message)
        return None, None
    except (ValueError, ArithmeticError, IndexError) as exc:
        spot.error(("solver",) if "solver" in raw else (), f"could not compute the reference answer: {exc}")
        return None, None
    part = Part(id=raw["id"], kind=raw["kind"], points=float(raw["points"]), prompt=raw.get("prompt", ""),
                config=config, title=raw.get("title", ""), group=group, release_answer=release)
    return part, reference


@dataclass
class _Builder:
    doc: Document
    raw: Any = None  # the data as written (with ``$name`` references), for parts that vary
    plan: Plan | None = None
    problems: list[InputError] = field(default_factory=list)
    templates: list[PartTemplate] = field(default_factory=list)

    def build(self) -> LoadedSpec:
        data = self.doc.data
        parts: list[Part] = []
        groups: list[Group] = []
        references: dict[str, Any] = {}
        seen: dict[str, tuple] = {}
        group_ids: dict[str, tuple] = {}
        release_all = bool(data.get("release_answers", False))
        located = [(("parts", i), raw, None) for i, raw in enumerate(data.get("parts", []))]
        written = self.raw if self.raw is not None else data  # group text as written: a variant fills it in
        for g, raw_group in enumerate(data.get("questions", [])):
            gid = raw_group["id"]
            if gid in group_ids:
                self.problems.append(self.doc.error(("questions", g, "id"), f"duplicate question id {gid!r} "
                                                    f"(first at line {self.doc.where(group_ids[gid])[0]})"))
            group_ids[gid] = ("questions", g, "id")
            members = [(("questions", g, "parts", i), raw, gid) for i, raw in enumerate(raw_group["parts"])]
            located += members
            as_written = written["questions"][g]
            groups.append(Group(gid, as_written.get("title", ""), as_written.get("prompt", ""),
                                tuple(m[1]["id"] for m in members)))
            if "points" in raw_group:
                total = sum(float(m[1]["points"]) for m in members)
                if abs(total - float(raw_group["points"])) > 1e-9:
                    self.problems.append(self.doc.error(("questions", g, "points"),
                                                        f"question {gid}: points is {raw_group['points']:g} but its "
                                                        f"parts add up to {total:g}"))
        if not located:
            self.problems.append(self.doc.error((), "the assignment has no parts (give 'parts' or 'questions')"))
        # parts keep the order they appear in the file
        located.sort(key=lambda item: self.doc.where(item[0]))
        for path, raw, gid in located:
            pid = raw["id"]
            if pid in seen:
                first = self.doc.where(seen[pid] + ("id",))[0]
                self.problems.append(self.doc.error(path + ("id",), f"duplicate part id {pid!r} (first at line {first})"))
                continue
            seen[pid] = path
            spot = _PartSpot(self.doc, path, f"part {pid}", self.problems)
            part, reference = build_part(raw, gid, release_all, spot)
            if part is not None:
                parts.append(part)
                references[pid] = reference
            if self.plan is not None:
                written = _at(self.raw, path)
                if written.get("shuffle") or uses_variables(written, frozenset(self.plan.names)):
                    self.templates.append(PartTemplate(pid, written, path, gid, release_all))
        if "total" in data and not self.problems:
            total = sum(p.points for p in parts)
            if abs(total - float(data["total"])) > 1e-9:
                self.problems.append(self.doc.error(("total",), f"total is {data['total']:g} but the parts add up "
                                                                f"to {total:g}"))
        assignment = Assignment(str(data["id"]), str(data["title"]), tuple(parts), tuple(groups), self.doc.name,
                                str(data.get("description", "")))
        return LoadedSpec(assignment, references, plan=self.plan, templates=tuple(self.templates))


def _at(data: Any, path: tuple) -> Any:
    for step in path:
        data = data[step]
    return data
