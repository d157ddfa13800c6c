"""``kind: numeric`` - a scalar, vector or matrix, against a literal answer or a numpy solver.

The check goes from most to least specific: the right value; a known mistake (from the
spec or declared by the solver: "you returned the key, not the value"); the wrong shape
("expected 3 values, got 4"); a transposed matrix; a flipped sign; a constant factor; and
finally which entries are off. Feedback never quotes the reference value.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from .. import diagnose, solvers
from ..model import Outcome
from ..numbers import Numbers, Unreadable, read_numbers, round_decimals, round_sigfigs
from ..solvers import InstanceSolver, ParamError, Solver
from ..tolerance import DEFAULT, Tolerance, within, written_problem
from .common import TOLERANCE_SCHEMA, Probe, SpecProblem, Spot, diagnosed, full_marks, read_tolerance
from ..errors import quote

NUMBERS = {"description": "A number, a list of numbers, or a list of rows.",
           "type": ["number", "string", "array"]}

SCHEMA: dict[str, Any] = {
    "properties": {
        "answer": dict(NUMBERS, description="The right value: a number, a vector (list) or a matrix (list of rows)."),
        "solver": {"type": "string", "pattern": r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$",
                   "description": "A reference solver by dotted name, e.g. attention.argmax (see `grader solvers`)."},
        "params": {"type": "object", "description": "The solver's inputs, by name."},
        "tolerance": TOLERANCE_SCHEMA,
        "scoring": {"enum": ["all-or-nothing", "per-entry"],
                    "description": "per-entry: a vector or matrix earns the share of its entries that are right."},
        "mistakes": {
            "type": "array",
            "description": "Known wrong answers to name: a value of the author's, or a solver-declared mistake by name.",
            "items": {
                "type": "object", "additionalProperties": False, "required": ["name"],
                "properties": {
                    "name": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"},
                    "value": NUMBERS,
                    "feedback": {"type": "string"},
                    "points": {"type": "number", "minimum": 0},
                },
            },
        },
        "feedback": {
            "type": "object", "additionalProperties": {"type": "string"},
            "propertyNames": {"enum": ["correct", "shape", "transpose", "sign", "scale", "precision", "entries"]},
            "description": "Extra feedback by diagnosis (shape, transpose, sign, scale, precision, entries) or when correct.",
        },
    },
    "oneOf": [{"required": ["answer"]}, {"required": ["solver"]}],
}


@dataclass(frozen=True)
class KnownMistake:
    name: str
    feedback: str
    values: tuple[np.ndarray, ...]
    fraction: float  # share of the part's points it still earns


@dataclass(frozen=True)
class Config:
    answer: np.ndarray | None
    solver: Solver | None
    params: dict[str, Any]
    tolerance: Tolerance
    per_entry: bool
    mistakes: tuple[dict[str, Any], ...]  # as in the spec: name, feedback, value (array), points share
    feedback: dict[str, str]


@dataclass(frozen=True)
class Reference:
    value: np.ndarray
    mistakes: tuple[KnownMistake, ...]


# --- configure / solve --------------------------------------------------------------------------

def configure(fields: dict[str, Any], spot: Spot) -> Config | None:
    ok = True
    answer = None
    if "answer" in fields:
        try:
            answer = read_numbers(fields["answer"]).values
        except Unreadable as exc:
            spot.error(("answer",), f"answer: {exc}")
            ok = False
    solver = None
    params: dict[str, Any] = {}
    if "solver" in fields:
        solver = solvers.get(fields["solver"])
        if isinstance(solver, InstanceSolver):
            spot.error(("solver",), f"{solver.name} builds instances for expression parts; a numeric part "
                                    "needs a solver that computes a value")
            return None
        if solver is None:
            close = difflib.get_close_matches(fields["solver"], solvers.SOLVERS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(sorted(solvers.SOLVERS))})"
            spot.error(("solver",), f"unknown solver {quote(fields['solver'])}{hint}")
            ok = False
        else:
            try:
                params = solver.bind(fields.get("params", {}))
            except ParamError as exc:
                unknown = len(exc.path) == 1 and exc.path[0] not in {p.name for p in solver.params}
                spot.error(("params",) + exc.path, exc.message, key=unknown)  # point at an unknown name itself
                ok = False
    elif "params" in fields:
        spot.error(("params",), "params are only used with a solver", key=True)
        ok = False
    tolerance = read_tolerance(fields.get("tolerance"), spot, DEFAULT)
    ok = ok and tolerance is not None
    points = float(fields["points"])
    mistakes = []
    seen = set()
    declared = {m.name for m in solver.mistakes} if solver else set()
    for i, m in enumerate(fields.get("mistakes", [])):
        if m["name"] in seen:
            spot.error(("mistakes", i, "name"), f"mistake {quote(m['name'])} is listed twice")
            ok = False
        seen.add(m["name"])
        value = None
        if "value" in m:
            try:
                value = read_numbers(m["value"]).values
            except Unreadable as exc:
                spot.error(("mistakes", i, "value"), f"mistake value: {exc}")
                ok = False
        elif m["name"] not in declared:
            known = f"; {fields.get('solver')} declares: {', '.join(sorted(declared))}" if declared else ""
            spot.error(("mistakes", i, "name"), f"mistake {quote(m['name'])} has no value and no solver declares it{known}")
            ok = False
        if m.get("points", 0) > points:
            spot.error(("mistakes", i, "points"), f"a mistake earns {m['points']} points, more than the part's {points:g}")
            ok = False
        mistakes.append({"name": m["name"], "feedback": m.get("feedback"), "value": value,
                         "fraction": m.get("points", 0) / points})
    if not ok:
        return None
    return Config(answer, solver, params, tolerance, fields.get("scoring") == "per-entry", tuple(mistakes),
                  dict(fields.get("feedback", {})))


def solve(config: Config) -> Reference:
    """The reference value and every known mistake's value (the spec's and the solver's)."""
    if config.solver is not None:
        value = config.solver.solve(config.params)
        declared = {m.name: m for m in config.solver.mistakes}
        solver_values = config.solver.mistake_values(config.params)
    else:
        value, declared, solver_values = np.asarray(config.answer, dtype=float), {}, {}
    listed = {m["name"]: m for m in config.mistakes}
    known = []
    for i, (name, m) in enumerate(listed.items()):
        values = (m["value"],) if m["value"] is not None else tuple(solver_values.get(name, ()))
        if not values:
            raise SpecProblem(("mistakes", i, "name"), f"mistake {quote(name)} does not apply to these params "
                                                       "(the solver cannot produce it here)")
        feedback = m["feedback"] or (declared[name].feedback if name in declared else "")
        known.append(KnownMistake(name, feedback, values, m["fraction"]))
    for name, values in solver_values.items():  # a solver's mistakes apply even when the spec does not list them
        if name not in listed:
            known.append(KnownMistake(name, declared[name].feedback, tuple(values), 0.0))
    # a solver's mistake that equals the answer on these params (no scaling when d = 1, say) is left out;
    # one the author listed stays, so --selftest can say it cannot be told apart from the answer
    # likewise one that equals a mistake kept before it: the first name explains that value
    kept: list[KnownMistake] = []
    for k in known:
        taken = [value] + [v for m in kept for v in m.values]
        values = tuple(v for v in k.values
                       if k.name in listed or not any(_all_close(v, t, config.tolerance) for t in taken))
        if values:
            kept.append(KnownMistake(k.name, k.feedback, values, k.fraction))
    return Reference(value, tuple(kept))


def indistinct(config: Config, reference: Reference) -> list[tuple[tuple, str]]:
    """Listed mistakes equal to the right answer (within the tolerance): a student who makes one scores
    full marks and never sees its feedback, so the spec has a typo or the mistake does not apply here."""
    out = []
    for i, listed in enumerate(config.mistakes):
        known = next((m for m in reference.mistakes if m.name == listed["name"]), None)
        if known is not None and any(_all_close(v, reference.value, config.tolerance) for v in known.values):
            where = ("mistakes", i, "value" if listed["value"] is not None else "name")
            out.append((where, f"mistake {quote(listed['name'])} equals the right answer within the tolerance: a student "
                               "who makes it scores full marks and never sees its feedback"))
    return out


# --- read / check -------------------------------------------------------------------------------

WRITE_NUMBERS = ("write a number (0.25), a vector as a list ([1.5, -2, 0.25]), or a matrix as a list of rows "
                 "([[1, 2], [3, 4]])")


def read(config: Config, raw: Any) -> Numbers:
    try:
        return read_numbers(raw)
    except Unreadable as exc:  # what to write instead, with neutral numbers: never the shape or values asked
        said = str(exc)
        raise Unreadable(said if "write" in said else f"{said}; {WRITE_NUMBERS}") from None


def check(config: Config, reference: Reference, answer: Numbers) -> Outcome:
    b = reference.value
    a, texts = _conform(answer.values, answer.texts, b.shape)
    tol, extra = config.tolerance, config.feedback
    close = _close(a, b, tol) if a.shape == b.shape else None
    written = _written_problems(texts, b, tol) if close is not None else []
    # per-entry credit counts an entry right when its value is close and, if strict, written right
    credit = 0.0
    if config.per_entry and close is not None:
        credit = float(np.mean(close.ravel() & np.array([w is None for w in written], dtype=bool)))
    if close is not None and close.all():
        problems = [(i, w) for i, w in enumerate(written) if w is not None]
        if not problems:
            return Outcome.of_fraction(1.0, _join("Right.", extra.get("correct")))
        i, problem = problems[0]
        where = f"entry {i + 1}: " if b.ndim else ""
        return Outcome.of_fraction(credit, _join(f"The value is right, but {where}{problem}.", extra.get("precision")),
                                   "precision")
    for mistake in reference.mistakes:
        if any(_matches_mistake(a, v, b, tol) for v in mistake.values):
            feedback = _join(mistake.feedback) or f"This is a known mistake ({mistake.name})."
            return Outcome.of_fraction(max(mistake.fraction, credit), feedback, f"mistake:{mistake.name}")
    near = lambda x, y: _all_close(x, y, tol)  # noqa: E731 - the part's tolerance, for diagnose
    if close is None:
        if diagnose.transposed([a], [b], near):
            return Outcome.of_fraction(0.0, _join(_TRANSPOSED, extra.get("transpose")), "transpose")
        said = f"Expected {describe_shape(b.shape)}, got {describe_shape(a.shape)}."
        if b.ndim == 0 and a.ndim == 1 and len(a) == 2:  # "1,000" or "2,5" read as two numbers
            said += " If you meant one number, write it with a decimal point and no thousands separator."
        return Outcome.of_fraction(0.0, _join(said, extra.get("shape")), "shape")
    if diagnose.transposed([a], [b], near):
        return Outcome.of_fraction(credit, _join(_TRANSPOSED, extra.get("transpose")), "transpose")
    if diagnose.sign_flipped([a], [b], near):
        return Outcome.of_fraction(credit, _join("The sign is flipped: every entry has the wrong sign.",
                                                 extra.get("sign")), "sign")
    factor = diagnose.scale_factor([a], [b], near) if b.size > 1 else None  # any number is a multiple of one
    if factor is not None:  # never the factor itself: the answer divided by it is the reference
        said = ("Off by a constant factor: every entry is the same multiple of the right one (is a normalisation "
                "missing, or done twice?).")
        return Outcome.of_fraction(credit, _join(said, extra.get("scale")), "scale")
    return _entries(config, close, credit, b)


_TRANSPOSED = "Rows and columns are swapped: this is the transpose of the right matrix."


def _entries(config: Config, close: np.ndarray, credit: float, b: np.ndarray) -> Outcome:
    if b.ndim == 0:
        return Outcome.of_fraction(0.0, _join(f"Not right to {config.tolerance.describe()}.",
                                              config.feedback.get("entries")))
    wrong = [tuple(int(i) + 1 for i in idx) for idx in zip(*np.nonzero(~close))]
    total = b.size
    if len(wrong) == total:
        said = "None of the entries is right."
    else:
        names = ", ".join(_entry_name(w) for w in wrong[:8]) + (", ..." if len(wrong) > 8 else "")
        noun = "entry" if b.ndim == 1 else "entry (row, column)"
        said = f"{total - len(wrong)} of {total} entries are right; wrong {noun}: {names}."
    details = tuple(f"{_entry_name(w)}: not right to {config.tolerance.describe()}" for w in wrong[:100])
    return Outcome.of_fraction(credit, _join(said, config.feedback.get("entries")), None, details)


def _entry_name(index: tuple[int, ...]) -> str:
    return str(index[0]) if len(index) == 1 else "(" + ", ".join(map(str, index)) + ")"


def _conform(a: np.ndarray, texts: Any, shape: tuple[int, ...]) -> tuple[np.ndarray, Any]:
    """The same numbers in another layout of the same entries count as that shape: ``[6; 1; 2]`` or
    ``[[6, 1, 2]]`` for a vector, ``3`` for a one-entry vector, ``"5 6 7"`` for a 1x3 matrix."""
    if a.shape == shape or a.size != int(np.prod(shape)) or _squeezed(a.shape) != _squeezed(shape):
        return a, texts
    flat = list(_flatten(texts)) if texts is not None else None
    shaped = None if flat is None else np.array(flat, dtype=object).reshape(shape)
    return a.reshape(shape), (None if shaped is None else _nest(shaped))


def _squeezed(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(n for n in shape if n != 1)


def _nest(texts: Any) -> Any:
    if not isinstance(texts, np.ndarray):
        return texts
    return texts.item() if texts.ndim == 0 else tuple(_nest(t) for t in texts)


MISTAKE_SPREAD = 0.02


def _matches_mistake(a: np.ndarray, mistake: np.ndarray, b: np.ndarray, tol: Tolerance) -> bool:
    """Is ``a`` this mistake? Within the part's tolerance, or - since students round what they compute
    by hand - within 2% of the mistake's largest entry while nearer to the mistake than to the answer."""
    a, _ = _conform(a, None, mistake.shape)  # a mistake may have another shape than the answer
    if a.shape != mistake.shape:
        return False
    if _all_close(a, mistake, tol):
        return True
    scale = float(np.max(np.abs(mistake))) if mistake.size else 0.0
    off = float(np.max(np.abs(a - mistake))) if a.size else 0.0
    if scale == 0 or off > MISTAKE_SPREAD * scale:
        return False
    return a.shape != b.shape or off < float(np.max(np.abs(a - b)))


def _all_close(a: np.ndarray, b: np.ndarray, tol: Tolerance) -> bool:
    return a.shape == b.shape and bool(_close(a, b, tol).all())


def _close(a: np.ndarray, b: np.ndarray, tol: Tolerance) -> np.ndarray:
    """Entry by entry: is the student's value within tolerance of the reference?"""
    return np.array([within(float(x), float(y), tol) for x, y in zip(a.ravel(), b.ravel())],
                    dtype=bool).reshape(b.shape)


def _written_problems(texts: Any, b: np.ndarray, tol: Tolerance) -> list[str | None]:
    """Per entry (flattened): why it is not written as strict mode asks, or None."""
    if not tol.strict:
        return [None] * b.size
    flat_texts = list(_flatten(texts)) if texts is not None else [None] * b.size
    return [written_problem(text or "", float(ref), tol) for text, ref in zip(flat_texts, b.ravel())]


def _flatten(texts: Any):
    if isinstance(texts, tuple):
        for t in texts:
            yield from _flatten(t)
    else:
        yield texts


def _join(*parts: str | None) -> str:
    return " ".join(" ".join(p.split()) for p in parts if p)  # YAML's folded text ends in a newline


def describe_shape(shape: tuple[int, ...]) -> str:
    if len(shape) == 0:
        return "a single number"
    if len(shape) == 1:
        return f"{shape[0]} value{'s' if shape[0] != 1 else ''}"
    rows = f"{shape[0]} row{'s' * (shape[0] != 1)}"
    return f"a {shape[0]}x{shape[1]} matrix ({rows} of {shape[1]})"


# --- show / probes ------------------------------------------------------------------------------

def show(config: Config, reference: Reference) -> Any:
    return reference.value.tolist()


def probes(config: Config, reference: Reference) -> list[Probe]:
    value = reference.value
    out = [Probe("the reference value", _as_text(value, config.tolerance), full_marks)]
    tol = config.tolerance
    if tol.sigfigs is not None or tol.decimals is not None:
        out.append(Probe(f"the reference rounded to {tol.describe()}", _rounded(value, tol), full_marks))
    far = value + 3 * np.vectorize(lambda b: max(tol.bound(float(b)), 1e-6 * max(1.0, abs(float(b)))))(value)
    out.append(Probe("the reference off by three times the tolerance", far.tolist(),
                     lambda o: "a value outside the tolerance scored full marks" if o.fraction >= 1 else None))
    for mistake in reference.mistakes:
        out.append(Probe(f"mistake {mistake.name}", mistake.values[0].tolist(),
                         diagnosed(f"mistake:{mistake.name}", full=mistake.fraction >= 1)))
    return out


def _as_text(value: np.ndarray, tol: Tolerance) -> Any:
    return _rounded(value, tol) if tol.strict else value.tolist()


def _rounded(value: np.ndarray, tol: Tolerance) -> Any:
    def one(x: float) -> str:
        if x == 0 and tol.sigfigs is not None:  # a zero shows as many figures as it has places
            return "0" if tol.sigfigs == 1 else "0." + "0" * tol.sigfigs
        d: Decimal = round_sigfigs(x, tol.sigfigs) if tol.sigfigs is not None else round_decimals(x, tol.decimals)
        return f"{d:f}" if tol.decimals is not None or d == 0 or abs(d.adjusted()) < 6 else f"{d:e}"

    if value.ndim == 0:
        return one(float(value))
    return np.vectorize(one, otypes=[object])(value).tolist()
