"""The ``variables`` block of a spec, read into a :class:`Plan`: what to draw, in what shape, under
which constraints. Problems go to an ``error(path, message)`` callback, so the spec reports them
at ``file:line:col``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..expr import ExprError, Namespace, Symbol, parse
from ..errors import PathProblem, quote
from ..normalize import fold, student_id

MAX_TRIES = 1000  # attempts at meeting every constraint before the spec is called impossible
MAX_NUMBERS = 200_000  # random numbers drawn for one student's values, all attempts together (under a second)
DRAW_SECONDS = 5.0  # one student's values, computed ones included: a safety net beyond MAX_NUMBERS
MAX_ENTRIES = 10_000  # numbers in one variable
MAX_DIM = 1000
MAX_MAGNITUDE = 1e15  # bounds of integer and float ranges: exact in a float, drawable in 64 bits
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


class VariantError(PathProblem):
    """A variant cannot be drawn: ``path`` is into the spec (``("variables", "keys", "unique_max")``)."""



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
            parse(spec, namespace({v: () for v in names}))
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
                error(where + ("shape", i), f"variable {name}: shape names {quote(dim)}, which is not an earlier "
                                            "integer variable")
                ok = False
        elif not 1 <= dim <= MAX_DIM:
            error(where + ("shape", i), f"variable {name}: sizes go from 1 to {MAX_DIM}, not {dim}")
            ok = False
        shape.append(dim)
    if not ok:
        return None
    variable = Variable(name, source, spec, tuple(shape), recipe.get("decimals"), tuple(recipe.get("exclude", ())),
                        recipe.get("unique_max"), _distinct(recipe.get("distinct")), recipe.get("condition"))
    impossible = _impossible(variable)
    if impossible:
        error(where + (impossible[0],), f"variable {name}: {impossible[1]}")
        return None
    return variable


def _impossible(v: Variable) -> tuple[str, str] | None:
    """A constraint no draw can meet, seen from the ranges alone: (constraint, why), or None.
    (Rare but possible draws are bounded when drawing: see MAX_NUMBERS.)"""
    if v.source not in ("integer", "float") or not all(isinstance(d, int) for d in v.shape):
        return None
    lo, hi = v.spec
    count = 1
    for d in v.shape:
        count *= d
    row = v.shape[-1] if v.shape else 1
    if v.source == "integer":
        choices = int(hi) - int(lo) + 1 - len({x for x in v.exclude if lo <= x <= hi and x == int(x)})
    elif v.decimals is not None:
        choices = int(round((hi - lo) * 10 ** v.decimals)) + 1
    else:
        choices = None  # as good as unlimited
    if v.unique_max is not None and row > 1 and (v.unique_max > hi - lo or choices == 1):
        return "unique_max", (f"unique_max asks the largest entry to beat the next by {v.unique_max:g}, but the range "
                              f"[{lo:g}, {hi:g}] is only {hi - lo:g} wide: no draw can meet it")
    if v.distinct == "entries" and choices is not None and count > choices:
        return "distinct", (f"distinct asks {count} different entries, but the range [{lo:g}, {hi:g}] holds only "
                            f"{choices} values: no draw can meet it")
    if v.distinct == "rows" and len(v.shape) == 2 and choices is not None and choices ** row < v.shape[0]:
        return "distinct", (f"distinct: rows asks {v.shape[0]} different rows of {row}, but the range "
                            f"[{lo:g}, {hi:g}] makes only {choices ** row}: no draw can meet it")
    return None


def _distinct(raw: Any) -> str | None:
    return "entries" if raw is True else (raw or None)



def namespace(shapes: dict[str, tuple[int, ...]]) -> Namespace:
    """Variables as symbols of the expression language, for ``value:`` recipes."""
    return Namespace({n: Symbol(n, shape) for n, shape in shapes.items()})
