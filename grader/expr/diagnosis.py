"""Why a wrong expression is wrong, found from the reference itself (see ``mutants``): the mutant that agrees
with the answer at every test point, one the student wrote rule for rule, and when none does, something still
true and specific (which terms of a sum differ, what the answer depends on).

The expression kind calls these with its ``Config`` (``answer``, ``ns``, ``tolerance``, ``seed``, ``expanded``,
``derivatives``) and ``Reference`` (``instances``, ``targets``: a solver's situations, or none).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import clock
from . import mutants, notation
from .compare import closeness, random_bindings, value_at
from .evaluate import Bindings, quiet
from .lexer import ExprError
from .nodes import Index, Node, Num, Sum
from .render import render
from .symbols import Namespace
from .trees import strip, substitute


MUTANT_SECONDS = 1.0  # a safety net of CPU time per stage, far above its cost: the number of mutants bounds the search,
# so a verdict never depends on how busy the machine is
MUTANT_POINTS = 6  # points drawn where a part has no solver instances
_MUTANTS: dict[int, Any] = {}  # id of a configured part -> its _Table


def mutant_agreeing(config: Any, reference: Any, answer: Node) -> mutants.Mutant | None:
    """The mutant of the right expression (one rule, then two) that agrees with the student's answer at every
    test point, if one is found within :data:`MUTANT_SECONDS`."""
    if config.answer is None:
        return None
    deadline = clock.now() + MUTANT_SECONDS
    with quiet():
        points, targets, values = _mutant_points(config, reference)
        student = [_try(answer, config.ns, p, deadline) for p in points]
        kept = [(j, s) for j, (s, t) in enumerate(zip(student, targets)) if s is not None and t is not None]
        if len(kept) < 2:
            return None
        close = closeness(config.tolerance, [t for t in targets if t is not None])
        for stage in (_singles, _pairs):
            candidates = stage(config)  # made once per part, outside any answer's time
            deadline = clock.now() + MUTANT_SECONDS
            for mutant in candidates:
                if clock.passed(deadline):
                    return None
                if all(_agrees(mutant.tree, config.ns, points, j, s, close, deadline, values) for j, s in kept) \
                        and not _hands_over(config, mutant):
                    return mutant
    return None


def _hands_over(config: Any, mutant: mutants.Mutant) -> bool:
    """Would the mutant's words give the student the right expression: it whole, written out, or the term of its
    sum? Rules compose (×t, then the factor that is all of the right expression dropped: the answer ``t``), and a
    rule names what it changed; such a mutant is no diagnosis, and the search goes on."""
    words = "".join(said(config, mutant).split())
    return any(shown in words for shown in _table(config).quoted)


def _quoted(config: Any) -> tuple[str, ...]:
    """What no feedback may hold, without blanks: the answer, the answer written out, and the term of either's sum."""
    shown = []
    for tree in (config.answer, config.expanded):
        if tree is None:
            continue
        tree = strip(tree)
        shown.append(render(tree))
        if isinstance(tree, Sum):
            shown.append(render(tree.body))
    return tuple(dict.fromkeys("".join(text.split()) for text in shown))


def dependence(config: Any, answer: Node) -> str | None:
    """Something true and specific when no rule explains the answer: the declared quantities it uses that the
    right expression does not, or the reverse (steps and sizes left out: they say nothing of the mistake)."""
    if config.answer is None:
        return None
    quantities = {n for n, s in config.ns.symbols.items() if not s.integer}
    used, needed = mutants.names(answer) & quantities, mutants.names(config.answer) & quantities
    said = []
    if needed - used:
        said.append(f"Your expression does not depend on {_listing(needed - used)}, which the right one does.")
    if used - needed:
        said.append(f"It depends on {_listing(used - needed)}, which the right one does not.")
    return " ".join(said) or None


def sum_terms(config: Any, reference: Any, answer: Node) -> str | None:
    """Where the answer and the right expression are both one sum over the same range, which of its terms are
    right, at three test points: every term wrong, or only the first, or only the last, right."""
    right, mine = strip(config.answer) if config.answer is not None else None, strip(answer)
    if not (isinstance(right, Sum) and isinstance(mine, Sum)) or right.product or mine.product:
        return None
    deadline = clock.now() + MUTANT_SECONDS
    shapes: set[str] = set()
    with quiet():
        for point in _mutant_points(config, reference)[0][:3]:
            bounds = [_try(b, config.ns, point, deadline) for b in (right.lo, right.hi, mine.lo, mine.hi)]
            if any(b is None or np.ndim(b) for b in bounds) or bounds[:2] != bounds[2:]:
                return None
            lo, hi = int(round(bounds[0])), int(round(bounds[1]))
            if not 0 <= hi - lo < 50:
                return None
            agree = []
            for k in range(lo, hi + 1):
                values = [_try(substitute(body, var, Num(float(k))), config.ns, point, deadline)
                          for body, var in ((right.body, right.var), (mine.body, mine.var))]
                if values[0] is None or values[1] is None:
                    return None
                agree.append(closeness(config.tolerance, [values[0]])(values[1], values[0]))
            shapes.add("none" if not any(agree) else "first" if agree[0] and not any(agree[1:]) else
                       "last" if agree[-1] and not any(agree[:-1]) else "other")
    v, lo, hi = right.var, render(right.lo), render(right.hi)
    said = {"none": f"The range of your sum is right, but every term differs from the right one's: look at what "
                    f"you sum for each {v}.",
            "first": f"The first term of your sum ({v} = {lo}) is right, but the later ones are not: check how each "
                     f"term depends on {v}.",
            "last": f"Only the last term of your sum ({v} = {hi}) is right: check how each term depends on {v}."}
    return said.get(shapes.pop()) if len(shapes) == 1 else None


def _listing(names: set[str]) -> str:
    shown = sorted(names)
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def said(config: Any, mutant: mutants.Mutant) -> str:
    """The rule's words, and what the symbol it changed means where the part names a derivative so
    (g_{t,i} is ∂J_t/∂h_i): a student who swapped or moved an index sees why the right one is right."""
    node = mutant.about
    if not (config.derivatives and isinstance(node, Index) and ("index" in mutant.rule)):
        return mutant.said
    meant = notation.meaning(node.name, tuple(render(i) for i in node.indices), config.derivatives)
    return f"{mutant.said} Here {render(node)} is {meant}." if meant else mutant.said


def code(mutant: mutants.Mutant) -> str:
    """The diagnosis code of a mutant's rule: ``sign`` as before, ``rule:<name>`` for the others."""
    return mutant.rule if mutant.rule == "sign" else f"rule:{mutant.rule}"


LOOKUPS_BEFORE_TABLE = 4  # two-rule lookups of one part made one by one, before all its pairs are made at once


@dataclass
class _Table:
    """One part's mutants, made once per spec on first need: the singles (by structure), the two-rule mutants
    the value search evaluates (the first MAX_PAIRS of the round-robin), and the two-rule ones by structure:
    looked up one by one (tens of milliseconds each) until a part has had a few lookups, then all made (a few
    thousand trees, a fifth to half a second), so a class with few distinct wrong answers never pays for them all."""

    config: Any
    singles: list
    by_key: dict
    memo: dict = field(default_factory=dict)  # each subtree's rewrites, shared by everything made here
    evaluated: list | None = None
    by_tree: dict | None = None
    looked_up: dict = field(default_factory=dict)
    points: dict = field(default_factory=dict)  # id of a reference -> (it, points, right values, mutants' values)
    quoted: tuple[str, ...] = ()  # what no diagnosis may say (_quoted)


def written_like_a_mutant(config: Any, answer: Node) -> mutants.Mutant | None:
    """A one-rule mutant written exactly as the student wrote their answer: the diagnosis by structure, before
    any by value (g_{i,t} in a sum is the index swap, even where it happens to equal a listed mistake's value);
    never one whose words hand over the right expression (:func:`_hands_over`)."""
    if config.answer is None:
        return None
    found = _written_like(config, answer)
    return None if found is None or _hands_over(config, found) else found


def _written_like(config: Any, answer: Node) -> mutants.Mutant | None:
    table = _table(config)
    key = mutants.key(answer)
    found = table.by_key.get(key)
    if found is not None:
        return found
    if table.by_tree is not None:
        return table.by_tree.get(key)
    if key in table.looked_up:
        return table.looked_up[key]
    if len(table.looked_up) >= LOOKUPS_BEFORE_TABLE:
        table.by_tree = {}
        for m in mutants.pairs(table.singles, config.ns, table.memo):
            table.by_tree.setdefault(m.tree, m)
        table.looked_up.clear()
        return table.by_tree.get(key)
    found = table.looked_up[key] = mutants.pair_written_as(table.singles, config.ns, key, table.memo)
    return found


def _pairs(config: Any) -> list[mutants.Mutant]:
    """Two-rule mutants to evaluate: the first MAX_PAIRS of the round-robin, made once per part on first need."""
    table = _table(config)
    if table.evaluated is None:
        table.evaluated = list(itertools.islice(mutants.pairs(table.singles, config.ns, table.memo), mutants.MAX_PAIRS))
    return table.evaluated


def _singles(config: Any) -> list[mutants.Mutant]:
    return _table(config).singles


def _table(config: Any) -> _Table:
    cached = _MUTANTS.get(id(config))
    if cached is None or cached.config is not config:
        if len(_MUTANTS) > 512:
            _MUTANTS.clear()
        memo: dict = {}
        found = mutants.singles(config.answer, config.ns, memo)
        if config.expanded is not None:  # and of the answer written out: G_t's sum in g, z, h
            known = {m.tree for m in found}
            found += [m for m in mutants.singles(config.expanded, config.ns, memo) if m.tree not in known]
        by_key: dict[str, mutants.Mutant] = {}
        for m in found:
            by_key.setdefault(mutants.key(m.tree), m)
        cached = _MUTANTS[id(config)] = _Table(config, found, by_key, memo, quoted=_quoted(config))
    return cached


def _mutant_points(config: Any, reference: Any) -> tuple[list, list, dict]:
    """The points where mutants are compared with an answer, the right values there, and the mutants' values
    there as far as any answer needed them: made once per part (and per variant), as the mutants are."""
    table = _table(config)
    known = table.points.get(id(reference))
    if known is None or known[0] is not reference:
        if reference.instances:
            points, targets = list(reference.instances), list(reference.targets)
        else:  # the right values: the spec's, worked out in time of their own, kept only if not cut short
            rng = np.random.default_rng(config.seed + 1)
            points = [random_bindings(config.ns, rng) for _ in range(MUTANT_POINTS)]
            own = clock.now() + MUTANT_SECONDS
            targets = [_try(config.answer, config.ns, p, own) for p in points]
            if clock.passed(own):
                return points, targets, {}
        if len(table.points) >= 8:  # per-student variants: each its own points, met again rarely; kept few
            table.points.clear()
        known = table.points[id(reference)] = (reference, points, targets, {})
    return known[1], known[2], known[3]


_UNKNOWN = object()


def _agrees(tree: Node, ns: Namespace, points: list, j: int, student: Any, close, deadline: float,
            values: dict) -> bool:
    """Does a mutant agree with the student's value at point ``j``? Its value there is worked out once per part."""
    value = values.get((tree, j), _UNKNOWN)
    if value is _UNKNOWN:
        value = _try(tree, ns, points[j], deadline)
        if not clock.passed(deadline):  # out of time, it may have been cut short: not its value
            values[(tree, j)] = value
    return value is not None and close(value, student)


def _try(tree: Node, ns: Namespace, point: Bindings, deadline: float) -> Any:
    try:
        return value_at(tree, ns, point, deadline)
    except (ExprError, ValueError, TypeError, IndexError, KeyError, ZeroDivisionError, OverflowError):
        return None  # a mutant may not be computable (shapes that do not fit): then it is not the diagnosis
