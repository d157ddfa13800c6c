"""What a reference solver is: a numpy function, a description of its params, and its named mistakes.

A solver module defines functions decorated with :func:`solver`; the registry in
``grader/solvers/__init__.py`` finds them by dotted name (``attention.argmax``).
The description of the params is what ``grader validate`` checks a spec against,
so an author learns of a wrong shape before any student does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from ..errors import PathProblem, quote

REQUIRED = object()  # sentinel: the param has no default


class ParamError(PathProblem):
    """A spec's params do not fit the solver. ``path`` is relative to ``params`` (e.g. ``("keys", 2)``)."""



class SolverError(ValueError):
    """The params are well-formed but have no single right answer (a tie in argmax, a fully masked row)."""

    def __init__(self, message: str, path: tuple = ()):
        super().__init__(message)
        self.path = tuple(path)
        self.message = message


@dataclass(frozen=True)
class Param:
    """One input of a solver.

    ``shape`` names its dimensions: ``()`` is a scalar, ``("d",)`` a vector, ``("n", "d")`` a
    matrix. Two params that use the same dimension name must agree on its size. ``choices``
    makes the param a string picked from a list (e.g. an activation name).
    """

    name: str
    shape: tuple[str, ...] = ()
    doc: str = ""
    default: Any = REQUIRED
    choices: tuple[str, ...] | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def describe(self) -> str:
        if self.choices:
            kind = "one of " + ", ".join(self.choices)
        elif not self.shape:
            kind = "scalar"
        elif len(self.shape) == 1:
            kind = f"vector [{self.shape[0]}]"
        else:
            kind = "array [" + ", ".join(self.shape) + "]"
        extra = "" if self.required else f" (default {quote(self.default)})"
        return f"{self.name}: {kind}{extra}"


@dataclass(frozen=True)
class Mistake:
    """A common wrong answer a solver can produce, so a check can name it instead of only saying 'wrong'.

    ``fn`` takes the same keyword arguments as the solver and returns the wrong value, a list of
    alternative wrong values (any of them counts), or ``None`` when the mistake does not apply
    to these params (an off-by-one pick below index 0, say).
    """

    name: str
    feedback: str
    fn: Callable[..., Any]

    def values(self, bound: dict[str, Any]) -> list[np.ndarray]:
        got = self.fn(**bound)
        if got is None:
            return []
        if isinstance(got, list):
            return [np.asarray(v, dtype=float) for v in got if v is not None]
        return [np.asarray(got, dtype=float)]


@dataclass
class Solver:
    """A reference solver: ``fn(**params) -> numpy array`` (0-d for a scalar), described well enough to validate."""

    name: str
    fn: Callable[..., Any]
    params: tuple[Param, ...]
    doc: str = ""
    mistakes: list[Mistake] = field(default_factory=list)

    def mistake(self, name: str, feedback: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: declare a named mistake of this solver."""

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            if any(m.name == name for m in self.mistakes):
                raise ValueError(f"{self.name}: mistake {quote(name)} declared twice")
            self.mistakes.append(Mistake(name, feedback, fn))
            return fn

        return register

    def bind(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Check raw params (plain YAML data) against the description and convert them (see :func:`bind`)."""
        return bind(self.name, self.params, raw)

    def solve(self, bound: dict[str, Any]) -> np.ndarray:
        return np.asarray(self.fn(**bound), dtype=float)

    def mistake_values(self, bound: dict[str, Any]) -> dict[str, list[np.ndarray]]:
        return {m.name: m.values(bound) for m in self.mistakes}

    def describe(self) -> str:
        lines = [f"{self.name}: {self.doc}".rstrip(": ")]
        lines += ["  param " + p.describe() + (f" - {p.doc}" if p.doc else "") for p in self.params]
        lines += [f"  mistake {m.name}: {m.feedback}" for m in self.mistakes]
        return "\n".join(lines)


@dataclass(frozen=True)
class Instance:
    """One concrete, consistent situation an expression answer is evaluated in.

    ``values`` binds plain symbols (numbers, 2-D arrays); ``sequences`` binds indexed ones as
    (lowest index per axis, stacked array); ``targets`` holds the true value of every quantity
    a part may ask for, computed by the solver (and verified by its tests).
    """

    values: dict[str, Any]
    sequences: dict[str, tuple[tuple[int, ...], np.ndarray]]
    targets: dict[str, Any]


@dataclass
class InstanceSolver:
    """A solver for expression parts: ``fn(rng, **params) -> Instance``, one random instance per call."""

    name: str
    fn: Callable[..., Instance]
    params: tuple[Param, ...]
    targets: tuple[str, ...]
    doc: str = ""

    def bind(self, raw: dict[str, Any]) -> dict[str, Any]:
        return bind(self.name, self.params, raw)

    def build(self, bound: dict[str, Any], rng: np.random.Generator) -> Instance:
        return self.fn(rng, **bound)

    def describe(self) -> str:
        lines = [f"{self.name}: {self.doc}".rstrip(": ")]
        lines += ["  param " + p.describe() + (f" - {p.doc}" if p.doc else "") for p in self.params]
        lines.append("  targets: " + ", ".join(self.targets))
        return "\n".join(lines)


def instance_solver(*params: Param, targets: tuple[str, ...], doc: str | None = None
                    ) -> Callable[[Callable[..., Instance]], InstanceSolver]:
    """Decorator turning ``fn(rng, **params) -> Instance`` into an :class:`InstanceSolver`."""

    def wrap(fn: Callable[..., Instance]) -> InstanceSolver:
        text = doc if doc is not None else (fn.__doc__ or "").strip().split("\n")[0]
        return InstanceSolver(name=fn.__name__, fn=fn, params=tuple(params), targets=tuple(targets), doc=text)

    return wrap


def bind(solver_name: str, params: tuple[Param, ...], raw: dict[str, Any]) -> dict[str, Any]:
    """Check raw params (plain YAML data) against their description and convert them.

    Returns keyword arguments: floats for scalars, float arrays for shaped params, strings for
    choices, defaults filled in. Raises :class:`ParamError` naming the param.
    """
    if not isinstance(raw, dict):
        raise ParamError((), "params must be a mapping from param name to value")
    known = {p.name: p for p in params}
    for name in raw:
        if name not in known:
            raise ParamError((name,), f"{solver_name} takes no param {quote(name)} (it takes {', '.join(known)})")
    bound: dict[str, Any] = {}
    sizes: dict[str, tuple[int, str]] = {}  # dim name -> (size, which param fixed it)
    for p in params:
        if p.name not in raw:
            if p.required:
                raise ParamError((), f"{solver_name} needs param {quote(p.name)} ({p.describe()})")
            bound[p.name] = p.default
            continue
        bound[p.name] = _convert(p, raw[p.name], sizes)
    return bound


def solver(*params: Param, doc: str | None = None) -> Callable[[Callable[..., Any]], Solver]:
    """Decorator turning a numpy function into a :class:`Solver`; its dotted name is set by the registry."""

    def wrap(fn: Callable[..., Any]) -> Solver:
        text = doc if doc is not None else (fn.__doc__ or "").strip().split("\n")[0]
        return Solver(name=fn.__name__, fn=fn, params=tuple(params), doc=text)

    return wrap


def _convert(p: Param, value: Any, sizes: dict[str, tuple[int, str]]) -> Any:
    if p.choices is not None:
        if value not in p.choices:
            raise ParamError((p.name,), f"{p.name} must be one of {', '.join(p.choices)}, not {quote(value)}")
        return value
    if isinstance(value, bool) or value is None or isinstance(value, (str, dict)):
        raise ParamError((p.name,), f"{p.name} must be {_noun(p)}, not {_kind_of(value)}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParamError((p.name,), f"{p.name} must be {_noun(p)} with rows of equal length") from None
    if arr.ndim != len(p.shape):
        raise ParamError((p.name,), f"{p.name} must be {_noun(p)}, got {_shape_words(arr.shape)}")
    if not np.all(np.isfinite(arr)):
        raise ParamError((p.name,), f"{p.name} has a value that is not a finite number")
    for axis, (dim, size) in enumerate(zip(p.shape, arr.shape)):
        if dim.isdigit():
            if size != int(dim):
                raise ParamError((p.name,), f"{p.name} must have {dim} {_axis_word(p, axis)}, got {size}")
            continue
        if size == 0:
            raise ParamError((p.name,), f"{p.name} is empty")
        if dim in sizes and sizes[dim][0] != size:
            first_size, first = sizes[dim]
            raise ParamError(
                (p.name,),
                f"{p.name} has {size} {_axis_word(p, axis)} but {first} fixes {dim} = {first_size}; they must agree",
            )
        sizes.setdefault(dim, (size, p.name))
    return float(arr) if arr.ndim == 0 else arr


def _axis_word(p: Param, axis: int) -> str:
    if len(p.shape) == 1:
        return "entries"
    return "rows" if axis == 0 else "columns"


def _noun(p: Param) -> str:
    if not p.shape:
        return "a number"
    if len(p.shape) == 1:
        return f"a vector ({p.shape[0]} numbers)"
    if len(p.shape) == 2:
        return f"a matrix ({p.shape[0]} rows of {p.shape[1]} numbers)"
    return f"a {len(p.shape)}-dimensional array"


def _shape_words(shape: tuple[int, ...]) -> str:
    if not shape:
        return "a single number"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return "an array of shape " + " x ".join(map(str, shape))


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"the text {quote(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
