"""``kind: expression`` - a formula, checked by evaluating it, not by algebra.

Two ways to know the right value:

- ``answer:`` a reference expression; student and reference are evaluated at seeded random
  values of the symbols, and points where either is undefined are drawn again;
- ``solver:`` + ``target:`` an instance solver (``rnn.bptt_instance``) builds consistent
  situations (weights, inputs, forward pass, gradients); the student's expression is
  evaluated on each and compared with the solver's true value. So ``h_i (1 - h_i)`` for
  σ'(z_i) is right, as it is on paper.

Wrong answers are named: ``shape`` (both shapes, and what to change), ``transpose``,
``sign``, ``scale`` (the factor), ``mistake:<name>`` for the author's listed mistakes.
"""
from __future__ import annotations

import collections
import dataclasses
import itertools
import math
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import clock
from .. import diagnose, solvers
from ..expr import (Bindings, EvalError, ExprError, Namespace, ShapeError, SymbolSpecError, build_namespace,
                    describe, infer, parse, sample, seed_of)
from ..expr.compare import (MIN_POINTS, POINTS, Candidates, ReferenceFailed, Sampled, candidates, closeness,
                            quiet_value, random_bindings, value_at)
from ..expr.symbols import shape_cases, size_schedule
from ..expr import diagnosis, mutants, notation
from ..expr.reading import notation_example, read_expression
from ..expr import sizes as sizing
from ..expr.evaluate import BudgetError, quiet
from ..expr.nodes import Node
from ..expr.shapes import Shape
from ..model import Outcome, Status
from ..numbers import Unreadable
from ..solvers import InstanceSolver, ParamError
from ..tolerance import Tolerance
from .common import TOLERANCE_SCHEMA, Probe, Timing, SpecProblem, Spot, diagnosed, full_marks, read_tolerance
from ..errors import quote

DEFAULT = Tolerance(rtol=1e-6, atol=1e-9)
POOL = 24  # instances built per part; the first POINTS where the student's expression is defined are used

_SYMBOL = {
    "oneOf": [
        {"const": "scalar"},
        {"type": "array", "items": {"type": ["integer", "string"]}, "minItems": 1, "maxItems": 2},
        {"type": "object", "additionalProperties": False, "properties": {
            "shape": {"oneOf": [{"const": "scalar"},
                                {"type": "array", "items": {"type": ["integer", "string"]}, "minItems": 1,
                                 "maxItems": 2}]},
            "index": {"type": "array", "description": "[lo, hi], or [[lo, hi], [lo, hi]] for two indices"},
            "range": {"type": "array", "items": {"type": ["number", "string"]}, "minItems": 2, "maxItems": 2},
            "integer": {"type": "boolean"},
        }},
    ],
}

SCHEMA: dict[str, Any] = {
    "properties": {
        "dims": {"type": "object",
                 "additionalProperties": {"oneOf": [
                     {"type": "integer", "minimum": 1},
                     {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 2, "maxItems": 2}]},
                 "description": "Named sizes, e.g. {n: 3, T: 4}; also integer constants in answers. A range "
                                "[lo, hi] draws the size per test point (for sizes the prompt does not state)."},
        "symbols": {"type": "object", "additionalProperties": _SYMBOL,
                    "description": "What each name in an answer is: scalar, [n], [n, m], or "
                                   "{shape, index: [lo, hi], range, integer}."},
        "answer": {"type": "string", "description": "The reference expression (ASCII or LaTeX)."},
        "solver": {"type": "string", "description": "An instance solver, e.g. rnn.bptt_instance."},
        "params": {"type": "object"},
        "target": {"type": "string", "description": "Which of the solver's true values is the answer."},
        "tolerance": TOLERANCE_SCHEMA,
        "samples": {"type": "integer", "minimum": 2, "maximum": 50,
                    "description": "How many points (or instances) to compare at (default 8)."},
        "mistakes": {
            "type": "array",
            "items": {"type": "object", "additionalProperties": False, "required": ["name", "expression"],
                      "properties": {"name": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"},
                                     "expression": {"type": "string"}, "feedback": {"type": "string"},
                                     "points": {"type": "number", "minimum": 0}}},
        },
        "derivatives": {"type": "object", "additionalProperties": {"type": "string"},
                        "description": "What derivative notation means in this part: {'J_a / h_b': 'g_{a,b}'} reads "
                                       "\\frac{\\partial J_t}{\\partial h_i}, ∂J_t/∂h_i and dJ_t/dh_i as g_{t,i}."},
        "definitions": {"type": "object", "additionalProperties": {"type": "string"},
                        "description": "What a sequence the answer uses stands for, so a wrong answer written out in "
                                       "other symbols can still be diagnosed: {'G_a': 'sum_{i=1}^{a} g_{a,i} "
                                       "sigma\'(z_i) h_{i-1}'}. Checked against the solver at every instance."},
        "feedback": {"type": "object", "additionalProperties": {"type": "string"},
                     "propertyNames": {"enum": ["correct", "shape", "transpose", "sign", "scale", "entries"]}},
    },
    "anyOf": [{"required": ["answer"]}, {"required": ["solver", "target"]}],
}


@dataclass(frozen=True)
class Mistake:
    name: str
    text: str
    tree: Node
    feedback: str
    fraction: float


@dataclass(frozen=True)
class Config:
    ns: Namespace
    answer_text: str | None
    answer: Node | None
    solver: InstanceSolver | None
    params: dict[str, Any]
    target: str | None
    tolerance: Tolerance
    samples: int
    mistakes: tuple[Mistake, ...]
    feedback: dict[str, str]
    seed: int
    derivatives: tuple = ()  # notation.Derivative: how ∂J_t/∂h_i reads in this part
    expanded: Node | None = None  # the answer with the part's definitions written out (G_t as its sum), if any
    raw_params: dict[str, Any] = field(default_factory=dict)  # the solver's params as written, to bind at drawn sizes


@dataclass(frozen=True)
class Answer:
    """A student's expression: the tree to evaluate, and the text (for hints about how it was read); or, with
    no tree, why the answer as written is not the expression asked (``wrong``, worded by expr/reading.py)."""

    tree: Node | None
    text: str
    note: str | None = None
    wrong: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class Reference:
    shape: Shape
    instances: tuple[Bindings, ...] = ()  # solver mode: the situations...
    targets: tuple[Any, ...] = ()  # ...the true value in each...
    mistakes: tuple[tuple[Any, ...], ...] = ()  # ...and each listed mistake's value in each (None: undefined)
    sizes: tuple[dict[str, int], ...] = ()  # the distinct drawn sizes among the instances (none: sizes are fixed)
    shape_cases: tuple[dict[str, int], ...] = ()  # of those, where a shape may fit otherwise (see shape_cases)
    candidates: Candidates | None = None  # random points: where the answer and mistakes are evaluated, and their values


# --- configure / solve --------------------------------------------------------------------------

def configure(fields: dict[str, Any], spot: Spot) -> Config | None:
    try:
        ns = build_namespace(fields.get("dims"), fields.get("symbols"))
    except SymbolSpecError as exc:
        spot.error(exc.path, exc.message)
        return None
    ok = True
    answer = _parse_field(fields.get("answer"), ns, ("answer",), spot)
    if "answer" in fields and answer is None:
        ok = False
    solver, params, target = None, {}, fields.get("target")
    if "solver" in fields:
        found = solvers.get(fields["solver"])
        if not isinstance(found, InstanceSolver):
            known = sorted(n for n, s in solvers.SOLVERS.items() if isinstance(s, InstanceSolver))
            why = "computes a single value: use it in a numeric part" if found else "is not a solver"
            spot.error(("solver",), f"{fields['solver']} {why}; expression parts take an instance solver "
                                    f"({', '.join(known)})")
            return None
        solver = found
        taken = {p.name for p in solver.params}
        raw = {k: v for k, v in ns.dims.items() if k in taken} | dict(fields.get("params", {}))
        for name, size in ns.dims.items():
            if name in fields.get("params", {}) and name in ns.drawn:
                spot.error(("params", name), f"params.{name} fixes a size that dims.{name} draws per test point: "
                                             "give it in one place")
                ok = False
            elif name in fields.get("params", {}) and fields["params"][name] != size:
                spot.error(("params", name), f"params.{name} = {fields['params'][name]} but dims.{name} = {size}")
                ok = False
        try:
            params = solver.bind(raw)
        except ParamError as exc:
            spot.error(("params",) + exc.path, exc.message)
            ok = False
        if target not in solver.targets:
            spot.error(("target",) if target else (), f"target must be one of {', '.join(solver.targets)}")
            ok = False
    elif "target" in fields or "params" in fields:
        spot.error(("target",) if "target" in fields else ("params",), "target and params go with a solver",
                   key=True)
        ok = False
    tolerance = read_tolerance(fields.get("tolerance"), spot, DEFAULT)
    ok = ok and tolerance is not None
    points = float(fields["points"])
    mistakes = []
    for i, raw_mistake in enumerate(fields.get("mistakes", [])):
        tree = _parse_field(raw_mistake["expression"], ns, ("mistakes", i, "expression"), spot)
        if raw_mistake.get("points", 0) > points:
            spot.error(("mistakes", i, "points"), f"a mistake earns {raw_mistake['points']} points, more than "
                                                  f"the part's {points:g}")
            ok = False
        if tree is None:
            ok = False
            continue
        mistakes.append(Mistake(raw_mistake["name"], raw_mistake["expression"], tree,
                                " ".join(raw_mistake.get("feedback", "").split()), raw_mistake.get("points", 0) / points))
    if len({m.name for m in mistakes}) != len(mistakes):
        spot.error(("mistakes",), "two mistakes have the same name")
        ok = False
    if not ok:
        return None
    try:
        derivatives = notation.read_derivatives(fields.get("derivatives") or {})
    except notation.NotationError as exc:
        spot.error(("derivatives",), str(exc))
        return None
    expanded = None
    if fields.get("definitions") and solver is None:
        spot.error(("definitions",), "definitions need a solver: its instances are where the defined names and "
                                     "their definitions agree", key=True)
        return None
    for key, text in (fields.get("definitions") or {}).items():
        try:
            definition = notation.read_definitions({key: text}, ns)
        except notation.NotationError as exc:
            spot.error(("definitions", key), str(exc))
            return None
        if answer is not None:
            expanded = notation.expand(expanded or answer, definition)
    return Config(ns, fields.get("answer"), answer, solver, params, target, tolerance, fields.get("samples", POINTS),
                  tuple(mistakes), dict(fields.get("feedback", {})), seed_of(str(fields["id"])), derivatives,
                  expanded, raw if solver is not None else {})


def _parse_field(text: str | None, ns: Namespace, path: tuple, spot: Spot) -> Node | None:
    if text is None:
        return None
    try:
        tree = parse(text, ns)
        infer(tree, ns)
    except ExprError as exc:
        spot.error(path, f"{path[-1]}: {exc}")
        return None
    tight = _TIGHT_SUBSCRIPT.search(text)  # students get this hint in feedback; the author gets it here
    if tight:
        name, index, sign, number = tight.groups()
        spot.warn(path, f"{path[-1]}: {tight.group(0)} reads as {name}_{index} {sign} {number}; for the index "
                        f"{index}{sign}{number} write {name}_{{{index}{sign}{number}}} (or {name}_{index} {sign} "
                        f"{number}, with spaces, if the sum is meant)")
    return tree


_TIGHT_SUBSCRIPT = re.compile(r"(?<![A-Za-z_{])([A-Za-z]+)_([A-Za-z0-9])([-+])(\d+)")


def solve(config: Config) -> Reference:
    _fits_everywhere(config)
    if config.solver is None:
        _check_reference(config)
        shape = infer(config.answer, config.ns)
        if config.ns.drawn:
            return _drawn_points(config, shape)
        return Reference(shape, candidates=candidates([config.answer] + [m.tree for m in config.mistakes], config.ns,
                                                      config.seed))
    rng = np.random.default_rng(config.seed)
    instances, targets = [], []
    for sizes in size_schedule(config.ns, config.seed + 2, POOL):  # no sizes drawn: the same rng calls as ever
        instance = config.solver.build(_params_at(config, sizes), rng)
        point = _bindings(instance, config.ns.at(sizes), config.solver.name)
        point.dims = sizes
        instances.append(point)
        targets.append(_as_value(instance.targets[config.target]))
    shape = _shape_of(targets[0])
    if config.ns.drawn:  # the shape at the representative sizes, where students' shapes are inferred
        shape = _shape_of(_as_value(config.solver.build(_params_at(config, config.ns.dims),
                                                        np.random.default_rng(config.seed + 3)).targets[config.target]))
    if config.answer is not None and infer(config.answer, config.ns) != shape:
        raise SpecProblem(("answer",), f"answer is {describe(infer(config.answer, config.ns))}, but "
                                       f"{config.target} is {describe(shape)}")
    deadline = clock.now() + 5.0
    with quiet():  # the same for every student: evaluated once here, not once per answer
        mistakes = tuple(tuple(quiet_value(m.tree, config.ns, point, deadline) for point in instances)
                         for m in config.mistakes)
        if config.expanded is not None:  # a definition that is wrong would make every diagnosis through it wrong
            for point, target in zip(instances, targets):
                value = quiet_value(config.expanded, config.ns, point, deadline)
                if value is None or not closeness(config.tolerance, [target])(value, target):
                    raise SpecProblem(("definitions",), f"with its definitions written out, the answer differs from "
                                                        f"{config.target} of {config.solver.name}")
    return _with_sizes(Reference(shape, tuple(instances), tuple(targets), mistakes), config.ns)


def _shape_of(value: Any) -> Shape:
    return () if np.ndim(value) == 0 else tuple(np.shape(value))


def _params_at(config: Config, sizes: dict[str, int]) -> dict[str, Any]:
    """The solver's params at a test point's drawn sizes (the part's own params where none are drawn)."""
    if not sizes:
        return config.params
    taken = {p.name for p in config.solver.params}
    try:
        return config.solver.bind(config.raw_params | {k: v for k, v in sizes.items() if k in taken})
    except ParamError as exc:
        raise SpecProblem(("params",) + exc.path, f"at {_sizes_text(sizes)}: {exc.message}") from None


def _sizes_text(sizes: dict[str, int]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sizes.items())


def _with_sizes(reference: Reference, ns: Namespace) -> Reference:
    """The reference with the distinct drawn sizes of its points, and the cases among them for shapes."""
    seen: dict[tuple, dict[str, int]] = {}
    for point in reference.instances:
        if point.dims:
            seen.setdefault(tuple(sorted(point.dims.items())), point.dims)
    sizes = list(seen.values())
    return dataclasses.replace(reference, sizes=tuple(sizes), shape_cases=tuple(shape_cases(ns, sizes)))


def _every_size(ns: Namespace) -> list[dict[str, int]]:
    """Every combination of the drawn sizes (a schedule of 256 where there are more)."""
    ranges = [range(lo, hi + 1) for lo, hi in ns.drawn.values()]
    if math.prod(len(r) for r in ranges) > 512:
        return size_schedule(ns, 0, 256)
    return [dict(zip(ns.drawn, combo)) for combo in itertools.product(*ranges)]


def _fits_everywhere(config: Config) -> None:
    """The spec's expressions must have shapes that fit at every drawn size, not only the representative:
    checked before any is evaluated there."""
    if not config.ns.drawn:
        return
    named = [(("answer",), config.answer)] + [(("mistakes", k, "expression"), m.tree)
                                              for k, m in enumerate(config.mistakes)]
    for at in _every_size(config.ns):
        for path, tree in named:
            if tree is None:
                continue
            try:
                infer(tree, config.ns.at(at))
            except ShapeError as exc:
                raise SpecProblem(path, f"{path[-1]}: at {_sizes_text(at)}: {exc.message}") from None


def _drawn_points(config: Config, shape: Shape) -> Reference:
    """A reference ``answer`` where sizes are drawn: its points are drawn once, at scheduled sizes, and kept
    with its values, as a solver's instances are (so the sizes of every point are known to the diagnosis)."""
    rng = np.random.default_rng(config.seed)
    points, targets = [], []
    deadline = clock.now() + 5.0
    with quiet():
        for sizes in size_schedule(config.ns, config.seed + 2, 4 * POOL):
            point = random_bindings(config.ns, rng, sizes)
            value = quiet_value(config.answer, config.ns, point, deadline)
            if value is not None:
                points.append(point)
                targets.append(value)
            if len(points) == POOL:
                break
    with quiet():
        mistakes = tuple(tuple(quiet_value(m.tree, config.ns, point, deadline) for point in points)
                         for m in config.mistakes)
    return _with_sizes(Reference(shape, tuple(points), tuple(targets), mistakes), config.ns)


def indistinct(config: Config, reference: Reference) -> list[tuple[tuple, str]]:
    """Listed mistakes equal to the right answer at every test point or situation: a student who writes one
    scores full marks and never sees its feedback, so the spec has a typo."""
    out = []
    for k, mistake in enumerate(config.mistakes):
        if reference.instances:
            pairs = [(v, t) for v, t in zip(reference.mistakes[k], reference.targets) if v is not None]
            values, right = [v for v, _ in pairs], [t for _, t in pairs]
        else:
            sampled = sample([mistake.tree, config.answer], config.ns, config.seed, need=config.samples)
            if sampled.problem():
                continue
            values, right = sampled.values
        close = closeness(config.tolerance, right)
        if len(values) >= MIN_POINTS and all(close(v, r) for v, r in zip(values, right)):
            out.append((("mistakes", k, "expression"), f"mistake {quote(mistake.name)} equals the right answer at every "
                                                      "test point: a student who writes it scores full marks and "
                                                      "never sees its feedback"))
    return out


def _check_reference(config: Config) -> None:
    """The reference must evaluate wherever symbols may fall, and be defined at some of those points."""
    rng = np.random.default_rng(config.seed)
    deadline = clock.now() + 2.0
    defined = 0
    with quiet():
        for _ in range(64):
            point = random_bindings(config.ns, rng)
            try:
                defined += value_at(config.answer, config.ns, point, deadline) is not None
            except ExprError as exc:
                shown = ", ".join([f"{k} = {v}" for k, v in point.dims.items()] +
                                  [f"{k} = {v:g}" for k, v in point.values.items() if np.ndim(v) == 0])
                raise SpecProblem(("answer",), f"answer: {exc.message}{f' (at {shown})' if shown else ''}; "
                                               "give the symbols ranges that keep it inside") from None
    if defined < MIN_POINTS:
        raise SpecProblem(("answer",), f"answer is defined at only {defined} of 64 random points; give the "
                                       "symbols ranges where it is defined")


def _bindings(instance, ns: Namespace, solver_name: str) -> Bindings:
    """The instance's values, shaped as the part declares its symbols (a 1x1 value is a number)."""
    given = set(instance.values) | set(instance.sequences)
    out = Bindings()
    for name, symbol in ns.symbols.items():
        if name not in given:
            raise SpecProblem(("symbols", name), f"{solver_name} gives no value for {quote(name)} "
                                                 f"(it gives {', '.join(sorted(given))})")
        if symbol.is_sequence != (name in instance.sequences):
            kind = "a sequence" if name in instance.sequences else "not a sequence"
            raise SpecProblem(("symbols", name), f"{name} is {kind} in {solver_name}")
        if symbol.is_sequence:
            lows, stacked = instance.sequences[name]
            lead = stacked.shape[:len(lows)]
            ranges = tuple((lo, lo + size - 1) for lo, size in zip(lows, lead))
            if ranges != symbol.index:
                raise SpecProblem(("symbols", name, "index"), f"{name} runs over {list(map(list, ranges))} in "
                                                              f"{solver_name}, not {list(map(list, symbol.index))}")
            out.sequences[name] = (lows, _shaped(stacked, lead + symbol.shape, name, solver_name))
        else:
            out.values[name] = _as_value(_shaped(np.asarray(instance.values[name], dtype=float), symbol.shape,
                                                 name, solver_name))
    return out


def _shaped(value: np.ndarray, shape: tuple[int, ...], name: str, solver_name: str) -> np.ndarray:
    if value.size != int(np.prod(shape)):
        raise SpecProblem(("symbols", name), f"{name} has {value.size} numbers in {solver_name}; the declared "
                                             "shape does not fit (check dims and params)")
    return value.reshape(shape)


def _as_value(value: Any) -> Any:
    """Values as expressions have them: a number, or a 2-D array with vectors as columns."""
    array = np.asarray(value, dtype=float)
    if array.size == 1:
        return float(array.reshape(()))
    return array.reshape(-1, 1) if array.ndim == 1 else array


# --- read / check ------------------------------------------------------------------------------

def read(config: Config, raw: Any) -> Answer:
    if isinstance(raw, (list, dict)) or isinstance(raw, bool):
        raise Unreadable("write the answer as one expression, as text")
    text = str(getattr(raw, "text", raw))
    try:
        reading = read_expression(text, config.ns, config.derivatives, config.answer)
    except ExprError as exc:
        raise Unreadable(_join(_sentence(str(exc)), notation_example(config.ns))) from None
    return Answer(reading.tree, text, reading.note, reading.wrong, reading.code)


def check(config: Config, reference: Reference, answer: Answer) -> Outcome:
    if answer.tree is None:
        return Outcome(Status.INCORRECT, 0.0, answer.wrong, answer.code)
    said = (mutants.key(answer.tree), _subscript_hint(answer.text))  # all of the answer its check depends on
    with _CHECKED_LOCK:  # the service grades in several threads
        checked = _checked(config, reference)
        known = checked.get(said)
        if known is not None:
            checked.move_to_end(said)
    if known is None:
        outcome = _check(config, reference, answer)
        with _CHECKED_LOCK:
            _remember(_checked(config, reference), said, outcome, len(answer.text))
    else:
        outcome = known[0]
    if answer.note:
        outcome = dataclasses.replace(outcome, feedback=_join(outcome.feedback, answer.note))
    return outcome


MAX_CHECKED = 1_000  # outcomes remembered per part (and variant), the least recently met let go first...
MAX_CHECKED_CHARS = 100_000  # ...and in all, by the length of their answers (a tree is about as big as its text)
_CHECKED: dict[int, tuple[Config, Reference, collections.OrderedDict]] = {}  # id of a part's config -> its outcomes
_checked_chars = 0
_CHECKED_LOCK = threading.Lock()


def _checked(config: Config, reference: Reference) -> collections.OrderedDict:
    """The outcomes of the expressions already checked for this part and variant, by structure: ``2x + 1``,
    ``2*x+1`` and ``2 x + 1`` are one tree, checked once (grading remembers verdicts by the text as written).
    Values are (outcome, the answer's length)."""
    global _checked_chars
    known = _CHECKED.get(id(config))
    if known is None or known[0] is not config or known[1] is not reference:
        if known is not None:  # another part at the same address, or another variant: its outcomes go
            _checked_chars -= sum(length for _, length in known[2].values())
        if len(_CHECKED) > 512:
            _CHECKED.clear()
            _checked_chars = 0
        known = _CHECKED[id(config)] = (config, reference, collections.OrderedDict())
    return known[2]


def _remember(checked: collections.OrderedDict, said: tuple, outcome: Outcome, length: int) -> None:
    """Keep an outcome, within both bounds: a class of long, all different answers (built to fill memory, say)
    holds no more than a few megabytes of trees."""
    global _checked_chars
    if len(checked) >= MAX_CHECKED:
        _checked_chars -= checked.popitem(last=False)[1][1]
    if _checked_chars + length > MAX_CHECKED_CHARS:
        for part in _CHECKED.values():
            part[2].clear()
        _checked_chars = 0
    checked[said] = (outcome, length)
    _checked_chars += length


def _check(config: Config, reference: Reference, answer: Answer) -> Outcome:
    extra = config.feedback
    try:
        shape = _shape_everywhere(config, reference, answer.tree)
    except ShapeError as exc:  # a rule's mistake as written (a transpose left out) says more than the shapes
        written = diagnosis.written_like_a_mutant(config, answer.tree)
        if written is not None:
            return Outcome.of_fraction(0.0, _join(diagnosis.said(config, written), extra.get(written.rule)), diagnosis.code(written))
        return Outcome(Status.INCORRECT, 0.0, _join(_sentence(exc.message), extra.get("shape")), "shape")
    try:
        with quiet():
            sampled = _values(config, reference, answer.tree)
    except BudgetError as exc:
        raise Unreadable(exc.message) from None
    except EvalError as exc:  # an index out of its range, say: first, is it a known rule's mistake, as written?
        written = diagnosis.written_like_a_mutant(config, answer.tree)
        if written is not None:
            return Outcome.of_fraction(0.0, _join(diagnosis.said(config, written), extra.get(written.rule)), diagnosis.code(written))
        sized = _one_size_only(config, reference, answer.tree)  # G_4 is out of range where T = 3
        if sized is not None:
            return sized
        return Outcome(Status.INCORRECT, 0.0, _sentence(exc.message))
    except ReferenceFailed as exc:  # the spec's expression failed here: never the student's fault
        return Outcome(Status.ERROR, 0.0, "The grader could not evaluate the right answer at a test point; this is "
                                          "not your mistake, and an instructor will look at it.", None,
                       (f"reference failed: {exc}",))
    if sampled.problem():
        return Outcome(Status.INCORRECT, 0.0, sampled.problem())
    student, right = sampled.values[0], sampled.values[1]
    wrong = {m.name: sampled.values[2 + k] for k, m in enumerate(config.mistakes)}
    close = closeness(config.tolerance, right)
    if shape == reference.shape and all(close(s, r) for s, r in zip(student, right)):
        return Outcome.of_fraction(1.0, _join("Right.", extra.get("correct")))
    written = diagnosis.written_like_a_mutant(config, answer.tree)  # what the student wrote, rule for rule, comes first...
    matching = [m for m in config.mistakes if all(v is not None and close(s, v) for s, v in zip(student, wrong[m.name]))]
    if written is not None and any(mutants.key(m.tree) == mutants.key(answer.tree) for m in matching):
        written = None  # ...unless the author listed this very mistake, written so
    if written is not None:  # worded by the rule; credited as a listed mistake of the same value would be
        return Outcome.of_fraction(max((m.fraction for m in matching), default=0.0),
                                   _join(diagnosis.said(config, written), extra.get(written.rule)), diagnosis.code(written))
    sized = _one_size_only(config, reference, answer.tree) if any(map(close, student, right)) else None
    if sized is not None:  # written for one size (G_1 + G_2 + G_3 + G_4)
        return sized
    for mistake in matching[:1]:  # the first listed mistake of the answer's value, as the author ordered them
        return Outcome.of_fraction(mistake.fraction, _join(mistake.feedback) or f"This is a known mistake "
                                                                                f"({mistake.name}).",
                                   f"mistake:{mistake.name}")
    found = diagnosis.mutant_agreeing(config, reference, answer.tree)
    if found is not None:
        return Outcome.of_fraction(0.0, _join(diagnosis.said(config, found), extra.get(found.rule)), diagnosis.code(found))
    if diagnose.transposed(student, right, close):
        return Outcome.of_fraction(0.0, _join("Rows and columns are swapped: this is the transpose of the right "
                                              "expression.", extra.get("transpose")), "transpose")
    if shape != reference.shape:
        named = config.ns.size_names
        return Outcome.of_fraction(0.0, _join(f"Expected {describe(reference.shape, named)}, but your expression is "
                                              f"{describe(shape, named)}.", extra.get("shape")), "shape")
    if diagnose.sign_flipped(student, right, close):
        return Outcome.of_fraction(0.0, _join("The sign is flipped: your expression is the negative of the "
                                              "right one.", extra.get("sign")), "sign")
    factor = diagnose.scale_factor(student, right, close)
    if factor is not None:
        # never the factor itself: the student would divide by it and have the answer
        said = ("Off by a constant factor: your expression is the right one times a constant. Look for a factor "
                "that is missing or one too many (a 2 from a square, a 1/N from an average, a √d).")
        return Outcome.of_fraction(0.0, _join(said, extra.get("scale")), "scale")
    differ = sum(not close(s, r) for s, r in zip(student, right))
    where = "test situations" if reference.instances else "test points"
    terms, depends = diagnosis.sum_terms(config, reference, answer.tree), diagnosis.dependence(config, answer.tree)
    if terms or depends:
        return Outcome.of_fraction(0.0, _join("Not equal to the right expression.", terms, depends,
                                              _subscript_hint(answer.text), extra.get("entries")),
                                   "sum-terms" if terms else "dependence")
    return Outcome.of_fraction(0.0, _join(f"Not equal to the right expression: it differs at {differ} of "
                                          f"{len(student)} {where}.", _subscript_hint(answer.text),
                                          extra.get("entries")))


SIZE_POINTS = 3  # test points where a size has the student's value, all right, before "right only when T = 4"


def _shape_everywhere(config: Config, reference: Reference, tree: Node) -> Shape:
    """The answer's shape at the representative sizes; where sizes are drawn it must fit at every test point's
    sizes too (it is evaluated there), else the :class:`ShapeError` found there."""
    shape = infer(tree, config.ns)
    for sizes in reference.shape_cases:
        infer(tree, config.ns.at(sizes))
    return shape


def _one_size_only(config: Config, reference: Reference, tree: Node) -> Outcome | None:
    """A wrong answer written for one value of a drawn size (``G_1 + G_2 + G_3 + G_4``): right at every test point
    where the size has that value and wrong at every other; or right at all of those, wrong at some other, and
    beyond a sequence at some (g_{t,4} where T = 3: the four terms of a sum up to t are right whenever t <= 4). A
    step that happens to equal the size at every point of one value (t = T where T = 3) is neither. It names the
    student's own value, never the reference."""
    if not reference.sizes:
        return None
    deadline = clock.now() + Timing.answer_seconds
    close = closeness(config.tolerance, list(reference.targets))
    right, beyond = [], []
    with quiet():
        for point, target in zip(reference.instances, reference.targets):
            try:
                value = value_at(tree, config.ns, point, deadline)
            except BudgetError:
                return None
            except (ExprError, ValueError, IndexError):
                value = None
                beyond.append(point)
            right.append(value is not None and close(value, target))
    for name in config.ns.drawn:
        for size in sorted({point.dims[name] for point in reference.instances}):
            there = [r for point, r in zip(reference.instances, right) if point.dims[name] == size]
            elsewhere = [r for point, r in zip(reference.instances, right) if point.dims[name] != size]
            if len(there) < SIZE_POINTS or not all(there) or all(elsewhere):
                continue
            if not any(elsewhere):
                said = f"Your expression is right only when {name} = {size}: write it for any {name}."
            elif any(point.dims[name] != size for point in beyond):
                said = (f"Your expression is right when {name} = {size}, but not for every {name}: write it for any "
                        f"{name}.")
            else:
                continue
            if config.answer is not None and sizing.has_sum(config.answer) and not sizing.has_sum(tree):
                said += " Write the sum, not its terms one by one."  # they wrote its terms: no news of the answer
            return Outcome.of_fraction(0.0, said, f"size:{name}")
    return None


_LOOSE_SUBSCRIPT = re.compile(r"([A-Za-z]+)_([A-Za-z0-9]+)\s*([-+])\s*(\d+)")


def _subscript_hint(text: str) -> str | None:
    """``h_t-1`` reads as h_t − 1: say so, since the student almost surely meant h_{t-1}."""
    m = _LOOSE_SUBSCRIPT.search(text)
    if not m:
        return None
    name, index, sign, number = m.groups()
    return (f"Note: {m.group(0).replace(' ', '')} reads as {name}_{index} {sign} {number}; for the index "
            f"{index}{sign}{number} write {name}_{{{index}{sign}{number}}}.")


def _values(config: Config, reference: Reference, answer: Node) -> Sampled:
    """The student's, the right and each mistake's values, at the same points."""
    if not reference.instances:
        trees = [answer, config.answer] + [m.tree for m in config.mistakes]
        return sample(trees, config.ns, config.seed, need=config.samples, seconds=Timing.answer_seconds,
                      prepared=reference.candidates)
    deadline = clock.now() + Timing.answer_seconds
    out = Sampled([], [[] for _ in range(2 + len(config.mistakes))])
    for j, (point, target) in enumerate(zip(reference.instances, reference.targets)):
        out.reference_defined += 1
        value = value_at(answer, config.ns, point, deadline)
        if value is None:
            continue
        out.both_defined += 1
        row = [value, target] + [values[j] for values in reference.mistakes]
        out.points.append(point)
        for k, v in enumerate(row):
            out.values[k].append(v)
        if len(out.points) >= config.samples:
            break
    return out


def _sentence(text: str) -> str:
    """A message as a sentence: a final stop, but no capital (h and H are different symbols)."""
    return text if text.endswith((".", "?", "!")) else text + "."


def _join(*parts: str | None) -> str:
    return " ".join(" ".join(p.split()) for p in parts if p)  # YAML's folded text ends in a newline


# --- show / probes ------------------------------------------------------------------------------

def show(config: Config, reference: Reference) -> Any:
    if config.answer_text is not None:
        return config.answer_text
    return f"(computed by {config.solver.name}: {config.target})"


def unstated(config: Config, told: str) -> list[tuple[tuple, str]]:
    """Fixed sizes an answer could write as a number (a sum bound, a sequence length, a shape) that ``told``,
    the prompts, does not state: every test point has that size, so an answer right for it alone passes."""
    out = []
    for name in _hard_codable(config):
        value = config.ns.dims[name]
        if name not in config.ns.drawn and not sizing.stated(told, name, value):
            out.append((("dims", name), f"dims.{name} = {value} is fixed, and the prompt does not say so: an answer "
                                        f"written for {name} = {value} only passes (every test point has it). Draw "
                                        f"it per test point, {name}: [lo, hi], or state it in the prompt"))
    return out


def _hard_codable(config: Config) -> list[str]:
    trees = [t for t in [config.answer] + [m.tree for m in config.mistakes] if t is not None]
    return sizing.hard_codable(config.ns, config.ns.written[1] if config.ns.written else {}, trees)


def _one_size_probes(config: Config) -> list[Probe]:
    """The reference written for one size (G_1 + G_2 + G_3 + G_4): it must not pass. A fixed size is probed at
    its value (so an unstated one fails the selftest), a drawn one at a value of its range."""
    out = []
    for name in _hard_codable(config) if config.answer is not None else []:
        lo, hi = config.ns.drawn.get(name, (config.ns.dims[name],) * 2)
        value = min(lo + 1, hi)
        applies = None if name in config.ns.drawn else (lambda told, n=name, v=value: not sizing.stated(told, n, v))
        for label, text in sizing.written_for(config.answer, config.ns, name, value):
            out.append(Probe(label, text, _not_passing(name, value), applies))
    return out


def _not_passing(name: str, value: int):
    def expect(outcome: Outcome) -> str | None:
        if outcome.fraction < 1.0 - 1e-12:
            return None
        return (f"an answer right only when {name} = {value} scored full marks: every test point has {name} = "
                f"{value}; draw it per test point ({name}: [lo, hi])")

    return expect


def probes(config: Config, reference: Reference) -> list[Probe]:
    out = []
    if config.answer_text is not None:
        label = "the reference expression" + (f" against {config.solver.name}'s {config.target}"
                                              if config.solver else "")
        out.append(Probe(label, config.answer_text, full_marks))
    for m in config.mistakes:
        out.append(Probe(f"mistake {m.name}", m.text, diagnosed(f"mistake:{m.name}", full=m.fraction >= 1)))
    return out + _one_size_probes(config)
