"""Problem spec (YAML) -> :class:`~grader.model.Assignment`, or every problem in it at ``file:line:col``.

Three passes, each reporting all it finds: the JSON Schema (shapes and types of fields,
explained by :mod:`grader.schemas.explain`), each kind's ``configure`` (answers among the
options, solver names and params, tolerances), then the assignment as a whole (unique ids,
totals) and solving every part once, so a spec that loads is a spec that grades.

A randomized spec (``variables``, see :mod:`grader.variants`) goes through the same passes on a
first variant, then builds a few more; :meth:`LoadedSpec.variant` builds any student's.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .document import SPEC_LIMITS, Document, load_file, read_bytes
from .policy import read_policy
from .errors import InputError, SpecErrors, quote
from .kinds import KINDS
from .kinds.common import SpecProblem
from .model import SCORE_DECIMALS, Assignment, Group, Part, Verdicts
from .schemas.explain import located_non_finite, located_schema_problems, non_finite, schema_problems
from .solvers import SolverError
from .variants import REFERENCE, Plan, VariantError, draw, permutation, read_plan, student_key, substitute, \
    uses_variables

PROBE_STUDENTS = 8  # variants drawn when a randomized spec loads, so a spec that loads grades every student
PROBE_SECONDS = 10.0  # validate's budget for building --students N variants
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
    verdicts: Verdicts = field(default_factory=Verdicts, compare=False, repr=False)
    digest: str = ""  # SHA-256 of the file's bytes as loaded: what a gradebook remembers the spec by
    warnings: tuple[InputError, ...] = ()  # what the author should look at, though the spec can be used
    plan: Plan | None = None
    templates: tuple[PartTemplate, ...] = ()
    _variants: dict = field(default_factory=dict, compare=False, repr=False)
    _built: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def randomized(self) -> bool:
        return self.plan is not None

    def variant(self, student: object) -> Variant:
        """The student's version; raises :class:`VariantError` if it cannot be built."""
        if self.plan is None:  # every student's: made once
            found = self._variants.get("")
            if found is None:
                found = self._variants[""] = Variant("", {}, self.assignment.parts, self.references)
            return found
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

    def _make_variant(self, key: str, problems: list[tuple[tuple, str]], strict: bool = False) -> Variant:
        """``strict`` (validating): also a listed mistake that equals the answer in this version is a problem;
        when grading, such a mistake only never shows (the right answer is checked first)."""
        values = draw(self.plan, key)
        parts = {p.id: p for p in self.assignment.parts}
        references = dict(self.references)
        keys, labels = {}, {}
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
            if strict:
                problems.extend((template.path + path, f"part {template.id}: {message}")
                                for path, message in indistinct(built[0], built[1]))
            parts[template.id], references[template.id] = built
            keys[template.id] = digest
        return Variant(key, values, tuple(parts[p.id] for p in self.assignment.parts), references, keys, labels)


def load_spec(path: str | Path, probes: int = PROBE_STUDENTS) -> LoadedSpec:
    """Load, validate and solve a spec. Raises :class:`SpecErrors` listing every problem.

    A randomized spec is checked on its first probe variant (``$name`` references replaced by
    values, then the schema and every part), then on ``probes`` more made-up students
    (``grader validate`` asks for hundreds: a tie one student in a hundred draws shows there).
    """
    try:
        raw_bytes = read_bytes(Path(path), SPEC_LIMITS)
        doc = load_file(path, SPEC_LIMITS, raw_bytes)
    except InputError as exc:
        raise SpecErrors([exc]) from None
    located = located_non_finite(doc) + located_schema_problems(doc, "problem.schema.json", skip_references=True)
    problems = [problem for _, problem in located]
    broken = _Broken.of(path for path, _ in located)
    if not isinstance(doc.data, dict) or broken.everything:
        _raise_if(problems)  # no parts to look at
    plan = None
    if not broken.plan:
        plan = read_plan(doc.data, _shuffles(doc.data), lambda path, message: problems.append(doc.error(path, message)))
    if plan is not None:
        problems += _fixed_fields(doc)
    if plan is not None or broken.plan or doc.data.get("variables") or _shuffles(doc.data):
        _raise_if(problems)  # a randomized spec is built on a drawn version, which needs a sound spec
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
        problems = [doc.error(path, message) for path, message in found] + non_finite(doc) \
            + schema_problems(doc, "problem.schema.json")
        _raise_if(problems)
    builder = _Builder(doc, raw.data, plan, problems=problems, broken=broken)  # every sound part too, in this pass
    loaded = dataclasses.replace(builder.build(), digest=hashlib.sha256(raw_bytes).hexdigest())
    _raise_if(builder.problems)
    if plan is not None:
        problems, slow = _probe_variants(loaded, raw, probes)
        _raise_if(problems)
        if slow is not None:
            loaded = dataclasses.replace(loaded, warnings=loaded.warnings + (slow,))
    return loaded


@dataclass(frozen=True)
class _Broken:
    """Where the schema refused something: the parts and questions not to build, or nothing to build at all."""

    parts: frozenset = frozenset()  # paths of parts: ("parts", i) or ("questions", g, "parts", i)
    groups: frozenset = frozenset()  # paths of questions: ("questions", g)
    everything: bool = False  # parts or questions themselves unusable (not a list, say)
    plan: bool = False  # variables or salt refused

    @staticmethod
    def of(paths: Any) -> "_Broken":
        parts, groups, everything, plan = set(), set(), False, False
        for path in paths:
            if not path:
                continue
            head = path[0]
            if head in ("variables", "salt"):
                plan = True
            elif head == "parts":
                if len(path) >= 2:
                    parts.add(path[:2])
                else:
                    everything = True
            elif head == "questions":
                if len(path) >= 4 and path[2] == "parts":
                    parts.add(path[:4])
                elif len(path) >= 2:
                    groups.add(path[:2])
                else:
                    everything = True
        return _Broken(frozenset(parts), frozenset(groups), everything, plan)


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
    return any(part.get("shuffle") for _, part in _parts_of(data))


def _probe_variants(loaded: LoadedSpec, raw: Document, count: int) -> tuple[list[InputError], InputError | None]:
    """Build ``count`` more variants: a constraint that rarely holds, a tie only some draws make, or a
    value of the wrong kind in some versions shows here. The first few are schema-checked too.

    Returns the problems, and a warning if building them all would take more than :data:`PROBE_SECONDS`
    (the probing stops there: each student's version is that slow to build when grading, too)."""
    started = time.monotonic()
    for i in range(1, count + 1):
        spent = time.monotonic() - started
        if i > 1 and spent > PROBE_SECONDS:
            return [], raw.error(("variables",), f"only {i - 1} of {count} students' versions were built and checked "
                                                 f"in {spent:.0f} s ({spent / (i - 1):.2f} s each): drawing is slow; "
                                                 "loosen the constraints or draw smaller values, or grading a class "
                                                 "will be as slow", key=True)
        problems: list[tuple[tuple, str]] = []
        try:
            if i <= PROBE_STUDENTS:
                values = draw(loaded.plan, student_key(_probe(i)))
                data = dict(raw.data)
                for key in ("parts", "questions"):
                    if key in data:
                        data[key] = substitute(data[key], values, (key,), problems)
                resolved = dataclasses.replace(raw, data=data)
                found = non_finite(resolved) + schema_problems(resolved, "problem.schema.json")
                if found:
                    return [InputError(p.file, p.line, p.col, p.message + _IN_A_PROBE) for p in found], None
            loaded._make_variant(student_key(_probe(i)), problems, strict=True)
        except VariantError as exc:
            problems.append((exc.path, exc.message))
        if problems:
            return [raw.error(path, message + _IN_A_PROBE) for path, message in problems], None
    return [], None


_IN_A_PROBE = " (in one of the variants drawn at random to check the spec)"


# --- building the model ---------------------------------------------------------------------

@dataclass
class _PartSpot:
    """A part's place in the document: ``configure`` reports problems relative to it."""

    doc: Document
    base: tuple
    label: str
    problems: list[InputError]
    warnings: list[InputError] = field(default_factory=list)

    def error(self, path: tuple, message: str, *, key: bool = False) -> None:
        self.problems.append(self.doc.error(self.base + tuple(path), f"{self.label}: {message}", key=key))

    def warn(self, path: tuple, message: str) -> None:
        self.warnings.append(self.doc.error(self.base + tuple(path), f"{self.label}: {message}"))


@dataclass
class _Collect:
    """A spot that collects (path, message), for building a student's variant away from the document."""

    base: tuple
    label: str
    problems: list[tuple[tuple, str]]

    def error(self, path: tuple, message: str, *, key: bool = False) -> None:
        self.problems.append((self.base + tuple(path), f"{self.label}: {message}"))

    def warn(self, path: tuple, message: str) -> None:
        pass  # a student's variant: the spec's own version has said it already


def build_part(raw: dict[str, Any], group: str | None, release_all: bool, spot: Any) -> tuple[Part | None, Any]:
    """One part's fields -> (Part, reference): configured by its kind, then solved. Problems go to ``spot``."""
    kind = KINDS[raw["kind"]]
    points = float(raw["points"])
    if abs(points * 10**SCORE_DECIMALS - round(points * 10**SCORE_DECIMALS)) > 1e-6:
        spot.error(("points",), f"points {raw['points']} has more decimals than scores keep ({SCORE_DECIMALS}): a "
                                "full answer would score less than the part's points")
        return None, None
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


def indistinct(part: Part, reference: Any) -> list[tuple[tuple, str]]:
    """(path in the part, message) for each listed mistake that cannot be told from the right answer."""
    check = getattr(KINDS[part.kind], "indistinct", None)
    return check(part.config, reference) if check else []


def told(assignment: Assignment, part: Part) -> str:
    """What a student reads before answering ``part``: the assignment's description, its question's prompt, its own."""
    return _told(assignment.description, assignment.groups, part)


def _told(description: str, groups: Any, part: Part) -> str:
    return " ".join([description] + [g.prompt for g in groups if g.id == part.group] + [part.prompt])


def unstated(part: Part, told: str) -> list[tuple[tuple, str]]:
    """(path in the part, message) for each size fixed in the spec that the student is not told (``told``: the
    prompts they read) and an answer could write as a number: every test point has it, so such an answer passes."""
    check = getattr(KINDS[part.kind], "unstated", None)
    return check(part.config, told) if check else []


@dataclass
class _Builder:
    doc: Document
    raw: Any = None  # the data as written (with ``$name`` references), for parts that vary
    plan: Plan | None = None
    problems: list[InputError] = field(default_factory=list)
    broken: _Broken = _Broken()  # what the schema refused: not built, already reported
    warnings: list[InputError] = field(default_factory=list)
    templates: list[PartTemplate] = field(default_factory=list)

    def build(self) -> LoadedSpec:
        data = self.doc.data
        parts: list[Part] = []
        groups: list[Group] = []
        references: dict[str, Any] = {}
        seen: dict[str, tuple] = {}
        group_ids: dict[str, tuple] = {}
        release_all = data.get("release_answers") is True  # "after_due" is the service's, by the clock
        located = [(("parts", i), raw, None) for i, raw in enumerate(data.get("parts", []))]
        written = self.raw if self.raw is not None else data  # group text as written: a variant fills it in
        for g, raw_group in enumerate(data.get("questions", [])):
            if ("questions", g) in self.broken.groups:
                continue
            gid = raw_group["id"]
            if gid in group_ids:
                self.problems.append(self.doc.error(("questions", g, "id"), f"duplicate question id {quote(gid)} "
                                                    f"(first at line {self.doc.where(group_ids[gid])[0]})"))
            group_ids[gid] = ("questions", g, "id")
            members = [(("questions", g, "parts", i), raw, gid) for i, raw in enumerate(raw_group["parts"])]
            located += members
            as_written = written["questions"][g]
            groups.append(Group(gid, as_written.get("title", ""), as_written.get("prompt", ""),
                                tuple(m[1]["id"] for m in members)))
            if "points" in raw_group and not any(m[0] in self.broken.parts for m in members):
                total = sum(float(m[1]["points"]) for m in members)
                if abs(total - float(raw_group["points"])) > 1e-9:
                    self.problems.append(self.doc.error(("questions", g, "points"),
                                                        f"question {gid}: points is {raw_group['points']:g} but its "
                                                        f"parts add up to {total:g}"))
        if not located and not self.broken.groups:
            self.problems.append(self.doc.error((), "the assignment has no parts (give 'parts' or 'questions')"))
        # parts keep the order they appear in the file
        located.sort(key=lambda item: self.doc.where(item[0]))
        for path, raw, gid in located:
            pid = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(pid, str) and pid in seen:
                first = self.doc.where(seen[pid] + ("id",))[0]
                self.problems.append(self.doc.error(path + ("id",), f"duplicate part id {quote(pid)} (first at line {first})"))
                continue
            if isinstance(pid, str):
                seen[pid] = path
            if path in self.broken.parts:
                continue  # the schema refused some of its fields: reported already, built once they are right
            spot = _PartSpot(self.doc, path, f"part {pid}", self.problems, self.warnings)
            part, reference = build_part(raw, gid, release_all, spot)
            if part is not None:
                parts.append(part)
                references[pid] = reference
                for where, message in indistinct(part, reference):
                    spot.error(where, message)
                for where, message in unstated(part, _told(str(data.get("description", "")), groups, part)):
                    spot.warn(where, message)
            if self.plan is not None:
                written = _at(self.raw, path)
                if written.get("shuffle") or uses_variables(written, frozenset(self.plan.names)):
                    self.templates.append(PartTemplate(pid, written, path, gid, release_all))
        if "total" in data and not self.problems:
            total = sum(p.points for p in parts)
            if abs(total - float(data["total"])) > 1e-9:
                self.problems.append(self.doc.error(("total",), f"total is {data['total']:g} but the parts add up "
                                                                f"to {total:g}"))
        policy = read_policy(data, lambda path, message: self.problems.append(self.doc.error(path, message)))
        assignment = Assignment(str(data.get("id", "")), str(data.get("title", "")), tuple(parts), tuple(groups),
                                self.doc.name, str(data.get("description", "")), policy)
        return LoadedSpec(assignment, references, plan=self.plan, templates=tuple(self.templates),
                          warnings=tuple(sorted(self.warnings, key=lambda w: (w.line or 0, w.col or 0))))


def _at(data: Any, path: tuple) -> Any:
    for step in path:
        data = data[step]
    return data
