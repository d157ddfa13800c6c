"""Per-student variants: the same problem with each student's own numbers.

A spec with ``variables`` (and a secret ``salt``) draws its numbers per student. A variant is a
pure function of (assignment id, salt, student id): the draws come from SHA-256 in counter
mode, not from a library's generator, so they are the same on every machine and every
Python or numpy version. Each variable has its own stream, so editing one variable's range
leaves the others' numbers alone; a constraint that fails redraws every variable (the next
attempt), up to :data:`MAX_TRIES`.

Parts use the values two ways: a field whose whole value is ``$name`` (or ``$name.key`` for a
choice among mappings) takes the value itself; display text (prompts, titles, option texts,
feedback) shows ``{name}`` or ``{name:.3f}`` filled in.
"""
from __future__ import annotations

import hashlib
import json
import re
import struct
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .expr import Bindings, Evaluator, ExprError, Namespace, Symbol, infer, parse
from .expr.evaluate import quiet
from .normalize import fold, student_id

MAX_TRIES = 1000  # attempts at meeting every constraint before the spec is called impossible
MAX_ENTRIES = 10_000  # numbers in one variable
MAX_DIM = 1000
MAX_MAGNITUDE = 1e15  # bounds of integer and float ranges: exact in a float, drawable in 64 bits
REFERENCE = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?$")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?(?::([^{}]{1,20}))?\}")
DISPLAY_FIELDS = frozenset({"prompt", "title", "feedback", "options", "description"})
SOURCES = ("integer", "float", "choice", "value")

RECIPE_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "description": "How to draw one variable: integer or float in [lo, hi], a choice from a list, or a value "
                   "computed from earlier variables; optionally shaped, with constraints.",
    "properties": {
        "integer": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2,
                    "description": "[lo, hi], both included."},
        "float": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2,
                  "description": "[lo, hi]: uniform, rounded to `decimals` if given."},
        "choice": {"type": "array", "minItems": 1, "description": "Pick one item (a number, text, list or mapping)."},
        "value": {"type": "string", "description": "An expression over earlier variables (keys query, 1/sqrt(d))."},
        "shape": {"type": "array", "minItems": 1, "maxItems": 2,
                  "items": {"type": ["integer", "string"]},
                  "description": "[n] for a vector, [rows, cols] for a matrix; sizes or earlier integer variables."},
        "decimals": {"type": "integer", "minimum": 0, "maximum": 10},
        "exclude": {"type": "array", "items": {"type": "number"}, "description": "Entries never drawn (say 0)."},
        "unique_max": {"type": "number", "minimum": 0,
                       "description": "The largest entry (of each row) beats the next by at least this margin."},
        "distinct": {"enum": [True, False, "entries", "rows"],
                     "description": "No two entries (true or entries), or no two rows (rows), are equal."},
        "condition": {"type": "number", "exclusiveMinimum": 1,
                      "description": "A square matrix whose condition number is at most this."},
    },
}


class VariantError(ValueError):
    """A variant cannot be drawn: ``path`` is into the spec (``("variables", "keys", "unique_max")``)."""

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = tuple(path)
        self.message = message


@dataclass(frozen=True)
class Variable:
    """One entry of ``variables``: where its values come from, their shape, and what they must satisfy."""

    name: str
    source: str  # integer | float | choice | value
    spec: Any  # (lo, hi), the list of choices, or the expression text
    shape: tuple[int | str, ...] = ()
    decimals: int | None = None
    exclude: tuple[float, ...] = ()
    unique_max: float | None = None
    distinct: str | None = None  # "entries" or "rows"
    condition: float | None = None

    @property
    def constraints(self) -> tuple[str, ...]:
        return tuple(c for c in ("unique_max", "distinct", "condition") if getattr(self, c) not in (None, False))


@dataclass(frozen=True)
class Plan:
    """A spec's randomisation: its variables in order and the salt that seeds them."""

    assignment: str
    salt: str
    variables: tuple[Variable, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)


def student_key(student: object) -> str:
    """The id a variant is drawn for: ``S001``, ``s001 `` and ``S۰۰۱`` are one student."""
    return fold(student_id(student))


# --- reading the plan ----------------------------------------------------------------------------

def read_plan(data: dict[str, Any], shuffles: bool, error: Callable[[tuple, str], None]) -> Plan | None:
    """The ``variables`` block (already schema-valid) as a :class:`Plan`; problems go to ``error``.

    ``shuffles``: some part shuffles its options, which needs a plan (a salt) even without variables.
    """
    raw = data.get("variables") or {}
    if not raw and not shuffles:
        if "salt" in data:
            error(("salt",), "salt is only used with variables or shuffled options", )
        return None
    if not str(data.get("salt", "")).strip():
        error(("variables",) if raw else (), "a randomized spec needs a secret 'salt' (any text students never "
              "see, for example salt: " + _suggest_salt() + "); changing it gives everyone new numbers")
        return None
    variables: list[Variable] = []
    failed: set[str] = set()  # named, but broken: later variables may still use the name
    for name, recipe in raw.items():
        variable = _variable(str(name), recipe, {v.name: v for v in variables}, failed, error)
        if variable is not None:
            variables.append(variable)
        else:
            failed.add(str(name))
    if failed:
        return None
    return Plan(str(data["id"]), str(data["salt"]), tuple(variables))


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, list) and all(_is_number(v) for v in value)


def _suggest_salt() -> str:
    import secrets

    return secrets.token_hex(8)


def _variable(name: str, recipe: dict[str, Any], earlier: dict[str, Variable], failed: set[str],
              error: Callable[[tuple, str], None]) -> Variable | None:
    where = ("variables", name)
    sources = [s for s in SOURCES if s in recipe]
    if len(sources) != 1:
        error(where, f"variable {name}: give exactly one of {', '.join(SOURCES)}"
                     + (f" (it has {' and '.join(sources)})" if sources else ""))
        return None
    source = sources[0]
    spec = recipe[source]
    ok = True
    if source in ("integer", "float"):
        lo, hi = spec
        if lo > hi:
            error(where + (source,), f"variable {name}: the range [{lo}, {hi}] is empty (lo > hi)")
            ok = False
        if ok and (max(abs(lo), abs(hi)) > MAX_MAGNITUDE):
            error(where + (source,), f"variable {name}: keep the range within ±{MAX_MAGNITUDE:.0e}; homework numbers "
                                     "are far smaller")
            ok = False
        spec = (lo, hi)
        if source == "integer" and ok and hi - lo < 10_000 and \
                all(x in set(recipe.get("exclude", ())) for x in range(int(lo), int(hi) + 1)):
            error(where + ("exclude",), f"variable {name}: exclude leaves no value in [{lo}, {hi}]")
            ok = False
    elif source == "choice":
        spec = tuple(spec)
    else:
        names = {v.name for v in earlier.values()} | failed
        try:
            parse(spec, _namespace({v: () for v in names}))
        except ExprError as exc:
            error(where + ("value",), f"variable {name}: {exc}")
            ok = False
    for key in ("unique_max", "distinct", "condition"):
        if key in recipe and source == "choice" and not all(_is_number(c) for c in spec):
            error(where + (key,), f"variable {name}: {key} needs numbers, and some choices are not")
            ok = False
    for key in ("shape", "decimals", "exclude"):
        if key in recipe and source not in ("integer", "float"):
            error(where + (key,), f"variable {name}: {key} goes with integer or float draws")
            ok = False
    if "decimals" in recipe and source != "float":
        error(where + ("decimals",), f"variable {name}: decimals goes with float draws")
        ok = False
    shape = []
    for i, dim in enumerate(recipe.get("shape", ())):
        if isinstance(dim, str):
            known = earlier.get(dim)
            if known is None or known.source != "integer" or known.shape:
                error(where + ("shape", i), f"variable {name}: shape names {dim!r}, which is not an earlier "
                                            "integer variable")
                ok = False
        elif not 1 <= dim <= MAX_DIM:
            error(where + ("shape", i), f"variable {name}: sizes go from 1 to {MAX_DIM}, not {dim}")
            ok = False
        shape.append(dim)
    if not ok:
        return None
    return Variable(name, source, spec, tuple(shape), recipe.get("decimals"), tuple(recipe.get("exclude", ())),
                    recipe.get("unique_max"), _distinct(recipe.get("distinct")), recipe.get("condition"))


def _distinct(raw: Any) -> str | None:
    return "entries" if raw is True else (raw or None)


# --- drawing -------------------------------------------------------------------------------------

class Stream:
    """Uniform draws from SHA-256 in counter mode: the same numbers on every machine, forever."""

    def __init__(self, *key: str):
        self.key = hashlib.sha256(json.dumps(key).encode("utf-8")).digest()
        self.block = 0
        self.pool: list[int] = []

    def u64(self) -> int:
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
    """The student's values of every variable: the first attempt that meets every constraint."""
    key = student_key(student)
    failures: dict[tuple, int] = {}
    for attempt in range(MAX_TRIES):
        values: dict[str, Any] = {}
        failed = None
        for variable in plan.variables:
            stream = Stream(plan.assignment, plan.salt, key, str(attempt), variable.name)
            values[variable.name] = _value(variable, stream, values)
            failed = _unmet(variable, values[variable.name])
            if failed:
                failures[failed] = failures.get(failed, 0) + 1
                break
        if failed is None:
            return values
    path, words = max(failures.items(), key=lambda item: item[1])[0], ""
    name, constraint = path[1], path[2]
    words = {"unique_max": "a unique largest entry by the margin", "distinct": "nothing repeated",
             "condition": "a condition number that low"}[constraint]
    raise VariantError(path, f"variable {name}: {MAX_TRIES} tries drew no value with {words} "
                             f"({constraint} failed {failures[path]} times); widen the ranges or ask for less")


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

def _namespace(shapes: dict[str, tuple[int, ...]]) -> Namespace:
    return Namespace({n: Symbol(n, shape) for n, shape in shapes.items()})


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
    ns = _namespace({n: np.shape(v) for n, v in numbers.items()})
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


# --- using the values in a part --------------------------------------------------------------------

def plain(value: Any) -> Any:
    """A value as YAML-like data (what a spec could have written)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def lookup(values: dict[str, Any], name: str, key: str | None) -> Any:
    """``$name`` / ``$name.key``; KeyError with a message when there is no such value."""
    if name not in values:
        raise KeyError(f"no variable {name!r} (variables: {', '.join(values) or 'none'})")
    value = values[name]
    if key is None:
        return value
    if not isinstance(value, dict) or key not in value:
        raise KeyError(f"variable {name} has no key {key!r}" + (
            f" (its keys: {', '.join(map(str, value))})" if isinstance(value, dict) else " (it is not a mapping)"))
    return value[key]


def substitute(node: Any, values: dict[str, Any], path: tuple, problems: list[tuple[tuple, str]],
               display: bool = False) -> Any:
    """``node`` with every ``$name`` replaced by its value and, in display text, ``{name}`` filled in.

    Unknown names are reported to ``problems`` as (path, message) and left as written.
    """
    if isinstance(node, str):
        ref = REFERENCE.match(node)
        if ref:
            try:
                return plain(lookup(values, ref.group(1), ref.group(2)))
            except KeyError as exc:
                problems.append((path, str(exc.args[0])))
                return node
        return fill(node, values) if display else node
    if isinstance(node, dict):
        return {k: substitute(v, values, path + (k,), problems, display or k in DISPLAY_FIELDS)
                for k, v in node.items()}
    if isinstance(node, list):
        return [substitute(v, values, path + (i,), problems, display) for i, v in enumerate(node)]
    return node


def uses_variables(node: Any, names: frozenset[str]) -> bool:
    """Does this part depend on the variables (a ``$name`` anywhere, a ``{name}`` in any text)?"""
    if isinstance(node, str):
        ref = REFERENCE.match(node)
        return bool(ref and ref.group(1) in names) or any(m.group(1) in names for m in PLACEHOLDER.finditer(node))
    if isinstance(node, dict):
        return any(uses_variables(v, names) for v in node.values())
    if isinstance(node, list):
        return any(uses_variables(v, names) for v in node)
    return False


def fill(text: str, values: dict[str, Any]) -> str:
    """Display text with ``{name}``, ``{name.key}`` and ``{name:.2f}`` filled in; other braces stay."""
    def one(match: re.Match) -> str:
        name, key, spec = match.groups()
        try:
            value = lookup(values, name, key)
        except KeyError:
            return match.group(0)  # LaTeX's own braces, or a name that is not a variable
        return show(value, spec)

    return PLACEHOLDER.sub(one, text)


def show(value: Any, spec: str | None = None) -> str:
    """A value as a student reads it: 3, 0.25, [1, -2, 0], [[1, 2], [3, 4]]."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {show(v, spec)}" for k, v in value.items())
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(show(v, spec) for v in value) + "]"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    number = value.item() if isinstance(value, np.generic) else value
    if spec:
        try:
            return format(number, spec)
        except (ValueError, TypeError):
            pass
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number) if isinstance(number, float) else str(number)


def permutation(plan: Plan, student: object, part_id: str, n: int) -> list[int]:
    """The order a student sees a part's n options in (Fisher-Yates on the student's own stream)."""
    stream = Stream(plan.assignment, plan.salt, student_key(student), "shuffle", part_id)
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = stream.below(i + 1)
        order[i], order[j] = order[j], order[i]
    return order
