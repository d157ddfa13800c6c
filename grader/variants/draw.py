"""Drawing a student's values: SHA-256 streams, rejection for constraints, computed values."""
from __future__ import annotations

import hashlib
import json
import struct
import time
from typing import Any

import numpy as np

from ..expr import Bindings, Evaluator, ExprError, infer, parse
from ..expr.evaluate import quiet
from .plan import DRAW_SECONDS, MAX_DIM, MAX_ENTRIES, MAX_NUMBERS, MAX_TRIES, Plan, Variable, VariantError, \
    namespace, student_key


class Stream:
    """Uniform draws from SHA-256 in counter mode: the same numbers on every machine, forever."""

    def __init__(self, *key: str):
        self.key = hashlib.sha256(json.dumps(key).encode("utf-8")).digest()
        self.block = 0
        self.pool: list[int] = []
        self.drawn = 0  # numbers drawn so far: the work a constraint's rejections cost

    def u64(self) -> int:
        self.drawn += 1
        if not self.pool:
            digest = hashlib.sha256(self.key + self.block.to_bytes(8, "big")).digest()
            self.block += 1
            self.pool = list(struct.unpack(">4Q", digest))
        return self.pool.pop()

    def below(self, n: int) -> int:
        """A whole number in [0, n), every one equally likely (rejection, no modulo bias)."""
        if not 1 <= n <= 1 << 64:
            raise ValueError(f"cannot draw from {n} values")
        limit = (1 << 64) - (1 << 64) % n
        while True:
            x = self.u64()
            if x < limit:
                return x % n

    def unit(self) -> float:
        """A float in [0, 1) with 53 random bits."""
        return (self.u64() >> 11) * 2.0 ** -53


def draw(plan: Plan, student: object) -> dict[str, Any]:
    """The student's values of every variable: the first attempt that meets every constraint.

    Bounded three ways: :data:`MAX_TRIES` attempts, :data:`MAX_NUMBERS` random numbers over all of
    them (the same for every machine, so a spec is refused everywhere or nowhere), and, as a safety
    net for computed values, :data:`DRAW_SECONDS` of wall-clock time."""
    key = student_key(student)
    failures: dict[tuple, int] = {}
    numbers = 0
    give_up = time.monotonic() + DRAW_SECONDS
    for attempt in range(MAX_TRIES):
        values: dict[str, Any] = {}
        failed = None
        for variable in plan.variables:
            stream = Stream(plan.assignment, plan.salt, key, str(attempt), variable.name)
            values[variable.name] = _value(variable, stream, values)
            numbers += stream.drawn
            failed = _unmet(variable, values[variable.name])
            if failed:
                failures[failed] = failures.get(failed, 0) + 1
                break
        if failed is None:
            return values
        if numbers > MAX_NUMBERS or time.monotonic() > give_up:
            raise _unmet_error(failures, attempt + 1, f"{numbers:,} random numbers" if numbers > MAX_NUMBERS
                               else f"{DRAW_SECONDS:g} s")
    raise _unmet_error(failures, MAX_TRIES, "")


def _unmet_error(failures: dict[tuple, int], tries: int, spent: str) -> VariantError:
    """The constraint that failed most, as the reason a student's values could not be drawn."""
    path = max(failures.items(), key=lambda item: item[1])[0]
    name, constraint = path[1], path[2]
    words = {"unique_max": "a unique largest entry by the margin", "distinct": "nothing repeated",
             "condition": "a condition number that low"}[constraint]
    within = f" ({spent}: the most one student's values may cost)" if spent else ""
    return VariantError(path, f"variable {name}: {tries} tries{within} drew no value with {words} ({constraint} "
                              f"failed {failures[path]} times); widen the ranges or ask for less")


def _size(variable: Variable, axis: int, values: dict[str, Any]) -> int:
    dim = variable.shape[axis]
    size = int(values[dim]) if isinstance(dim, str) else dim
    if not 1 <= size <= MAX_DIM:
        raise VariantError(("variables", variable.name, "shape", axis),
                           f"variable {variable.name}: its shape takes {dim} = {size}, outside 1..{MAX_DIM}")
    return size


def _value(variable: Variable, stream: Stream, values: dict[str, Any]) -> Any:
    if variable.source == "choice":
        return variable.spec[stream.below(len(variable.spec))]
    if variable.source == "value":
        return _computed(variable, values)
    shape = tuple(_size(variable, axis, values) for axis in range(len(variable.shape)))
    count = int(np.prod(shape)) if shape else 1
    if count > MAX_ENTRIES:
        raise VariantError(("variables", variable.name, "shape"),
                           f"variable {variable.name} would have {count} entries (at most {MAX_ENTRIES})")
    entries = [_entry(variable, stream) for _ in range(count)]
    if not shape:
        return entries[0]
    return np.array(entries, dtype=int if variable.source == "integer" else float).reshape(shape)


def _entry(variable: Variable, stream: Stream) -> int | float:
    lo, hi = variable.spec
    excluded = set(variable.exclude)
    for _ in range(MAX_TRIES):
        if variable.source == "integer":
            x: int | float = int(lo) + stream.below(int(hi) - int(lo) + 1)
        else:
            x = lo + stream.unit() * (hi - lo)
            if variable.decimals is not None:
                x = round(x, variable.decimals) + 0.0  # + 0.0: no -0.0
        if x not in excluded:
            return x
    raise VariantError(("variables", variable.name, "exclude"),
                       f"variable {variable.name}: {MAX_TRIES} draws all hit an excluded value")


def _unmet(variable: Variable, value: Any) -> tuple | None:
    """The path of the first constraint ``value`` fails, or None."""
    arr = np.asarray(value, dtype=float) if variable.constraints else None
    where = ("variables", variable.name)
    if variable.unique_max is not None:
        if arr.ndim == 0:
            raise VariantError(where + ("unique_max",), f"variable {variable.name}: unique_max needs a vector "
                                                        "or a matrix")
        rows = arr.reshape(-1, arr.shape[-1])
        if rows.shape[1] > 1:
            top = np.sort(rows, axis=1)
            gap = top[:, -1] - top[:, -2]
            if not (np.all(gap >= variable.unique_max) and np.all(gap > 0)):
                return where + ("unique_max",)
    if variable.distinct == "entries" and len(np.unique(arr)) != arr.size:
        return where + ("distinct",)
    if variable.distinct == "rows":
        if arr.ndim != 2:
            raise VariantError(where + ("distinct",), f"variable {variable.name}: distinct: rows needs a matrix")
        if len(np.unique(arr, axis=0)) != len(arr):
            return where + ("distinct",)
    if variable.condition is not None:
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
            raise VariantError(where + ("condition",), f"variable {variable.name}: condition needs a square "
                                                       f"matrix, not shape {arr.shape}")
        with np.errstate(all="ignore"):
            cond = float(np.linalg.cond(arr))
        if not cond <= variable.condition:
            return where + ("condition",)
    return None


# --- computed variables: the expression language, never Python's eval -------------------------------

def _as_symbol(value: Any) -> Any:
    """Variables as the expression language sees them: vectors are columns."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return float(arr)
    return arr.reshape(-1, 1) if arr.ndim == 1 else arr


def _computed(variable: Variable, values: dict[str, Any]) -> Any:
    where = ("variables", variable.name, "value")
    numbers = {}
    for name, value in values.items():
        try:
            numbers[name] = _as_symbol(value)
        except (TypeError, ValueError):
            continue  # text and mappings have no place in arithmetic
    ns = namespace({n: np.shape(v) for n, v in numbers.items()})
    try:
        tree = parse(variable.spec, ns)
        infer(tree, ns)
        with quiet():
            result = Evaluator(ns, Bindings(values=numbers)).run(tree)
    except ExprError as exc:
        raise VariantError(where, f"variable {variable.name}: {exc}") from None
    arr = np.asarray(result, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise VariantError(where, f"variable {variable.name}: the value is not a finite number for these draws")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]  # a column is a vector again
    return float(arr) if arr.ndim == 0 else arr



def permutation(plan: Plan, student: object, part_id: str, n: int) -> list[int]:
    """The order a student sees a part's n options in (Fisher-Yates on the student's own stream)."""
    stream = Stream(plan.assignment, plan.salt, student_key(student), "shuffle", part_id)
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = stream.below(i + 1)
        order[i], order[j] = order[j], order[i]
    return order

