"""``kind: code`` - a student's numpy functions, run in a sandbox on generated inputs and compared with the
reference solver each one implements.

A part names the file the student hands in and, for each function, the solver it is compared with, the
order of its arguments (the solver's params), how inputs are drawn (sizes per trial, a value range, edge
cases), the number of trials and the tolerance. Every trial's inputs and right outputs, and each named
mistake's outputs, are computed once per spec (``solve``); a submission costs one sandbox run
(``grader/sandbox``) holding every call. Only plain data comes back: nothing the student defines takes part
in a comparison.

Feedback per function: trials passed; the first failing input (small, shown) with expected and got shapes;
a transposed output; a named mistake of the solver reproduced; an exception reduced to the student's own
lines; a timeout; different results for the same input; and for a gradient, a finite-difference check of
the student's gradient against the student's own forward pass. Right outputs are never shown.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .. import clock, sandbox, solvers
from ..model import Outcome, Status
from ..numbers import Unreadable
from ..solvers import Solver
from ..tolerance import Tolerance
from .common import TOLERANCE_SCHEMA, Probe, Spot, full_marks, read_tolerance
from ..errors import quote

MAX_SOURCE = 200_000  # characters of one code file
FILE_SUFFIXES = (".py", ".ipynb")  # handed in as files of a folder submission (grader/answer_files.py reads them)
DEFAULT = Tolerance(rtol=1e-6, atol=1e-8)
EDGE_CASES = ("zeros", "length-1", "one-unit")
FD_STEP = 1e-5

_IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"
SCHEMA: dict[str, Any] = {
    "properties": {
        "file": {"type": "string", "pattern": r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\.(py|ipynb)$",
                 "description": "The file the student hands in (rnn.py, or a notebook .ipynb)."},
        "sizes": {"type": "object", "additionalProperties": {
            "oneOf": [{"type": "integer", "minimum": 1, "maximum": 64},
                      {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 64},
                       "minItems": 2, "maxItems": 2}]},
            "description": "The solver's dimensions, each fixed or drawn per trial from [lo, hi]: {n: [1, 4], T: [1, 5]}."},
        "functions": {
            "type": "array", "minItems": 1,
            "items": {
                "type": "object", "additionalProperties": False, "required": ["name", "solver", "args"],
                "properties": {
                    "name": {"type": "string", "pattern": _IDENT, "description": "The function the student defines."},
                    "solver": {"type": "string", "description": "The reference it is compared with (rnn.forward)."},
                    "args": {"type": "array", "items": {"type": "string", "pattern": _IDENT}, "minItems": 1,
                             "description": "The solver's params, in the order the student's function takes them."},
                    "params": {"type": "object", "description": "Fixed solver params not passed (activation: tanh)."},
                    "points": {"type": "number", "exclusiveMinimum": 0},
                    "trials": {"type": "integer", "minimum": 1, "maximum": 50},
                    "range": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
                    "edge_cases": {"type": "array", "items": {"enum": list(EDGE_CASES)}, "uniqueItems": True},
                    "tolerance": TOLERANCE_SCHEMA,
                    "gradient": {
                        "type": "object", "additionalProperties": False, "required": ["forward", "wrt", "targets"],
                        "description": "The function is the gradient of J = ½ Σ (forward(...) - targets)² with "
                                       "respect to wrt: checked by finite differences of the student's forward.",
                        "properties": {"forward": {"type": "string", "pattern": _IDENT},
                                       "wrt": {"type": "string", "pattern": _IDENT},
                                       "targets": {"type": "string", "pattern": _IDENT}}},
                },
            },
        },
        "limits": {"type": "object", "additionalProperties": False, "properties": {
            "seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 300},
            "memory_mb": {"type": "integer", "minimum": 64, "maximum": 8192}}},
    },
    "required": ["file", "functions"],
}


@dataclass(frozen=True)
class Gradient:
    forward: str
    wrt: str
    targets: str


@dataclass(frozen=True)
class Function:
    name: str
    solver: Solver
    args: tuple[str, ...]
    fixed: dict[str, Any]
    points: float
    trials: int
    value_range: tuple[float, float]
    edge_cases: tuple[str, ...]
    tolerance: Tolerance
    gradient: Gradient | None = None


@dataclass(frozen=True)
class Config:
    file: str
    sizes: dict[str, tuple[int, int]]
    functions: tuple[Function, ...]
    limits: Any  # sandbox.Limits
    seed: int
    points: float


@dataclass(frozen=True)
class Trial:
    label: str  # "random", "zeros", "length 1"...
    sizes: dict[str, int]
    inputs: dict[str, Any]  # every solver param, bound
    expected: np.ndarray
    mistakes: tuple[tuple[str, tuple[np.ndarray, ...]], ...]


@dataclass(frozen=True)
class Reference:
    trials: dict[str, tuple[Trial, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    text: str
    filename: str


# --- configure / solve --------------------------------------------------------------------------

def configure(fields: dict[str, Any], spot: Spot) -> Config | None:
    ok = True
    sizes: dict[str, tuple[int, int]] = {}
    for name, raw in (fields.get("sizes") or {}).items():
        lo, hi = (raw, raw) if isinstance(raw, int) else raw
        if lo > hi:
            spot.error(("sizes", name), f"sizes.{name}: {lo} is more than {hi}")
            ok = False
        sizes[name] = (lo, hi)
    functions: list[Function] = []
    declared = [f["name"] for f in fields["functions"]]
    for i, raw in enumerate(fields["functions"]):
        where = ("functions", i)
        found = solvers.get(raw["solver"])
        if not isinstance(found, Solver):
            known = sorted(n for n, s in solvers.SOLVERS.items() if isinstance(s, Solver))
            spot.error(where + ("solver",), f"{raw['solver']} is not a solver of values ({', '.join(known)})")
            ok = False
            continue
        params = {p.name: p for p in found.params}
        for j, arg in enumerate(raw["args"]):
            if arg not in params:
                spot.error(where + ("args", j), f"{found.name} takes no param {quote(arg)} (it takes "
                                                 f"{', '.join(params)})")
                ok = False
        fixed = dict(raw.get("params") or {})
        missing = [p.name for p in found.params if p.required and p.name not in raw["args"] and p.name not in fixed]
        if missing:
            spot.error(where + ("args",), f"{found.name} needs {', '.join(missing)}: pass it as an argument or fix it "
                                          "in params")
            ok = False
        dims = {d for a in raw["args"] if a in params for d in params[a].shape}
        for d in sorted(dims - set(sizes)):
            spot.error(("sizes",), f"the size {d} of {found.name}'s params is not in sizes", key=True)
            ok = False
        gradient = None
        if "gradient" in raw:
            g = raw["gradient"]
            gradient = Gradient(g["forward"], g["wrt"], g["targets"])
            if g["forward"] not in declared:
                spot.error(where + ("gradient", "forward"), f"no function {quote(g['forward'])} in this part")
                ok = False
            for key in ("wrt", "targets"):
                if g[key] not in raw["args"]:
                    spot.error(where + ("gradient", key), f"{g[key]} is not one of this function's args")
                    ok = False
        tolerance = read_tolerance(raw.get("tolerance"), spot, DEFAULT)
        if tolerance is None:
            ok = False
            continue
        lo, hi = raw.get("range", (-1.0, 1.0))
        functions.append(Function(raw["name"], found, tuple(raw["args"]), fixed, float(raw.get("points", 1.0)),
                                  int(raw.get("trials", 6)), (float(lo), float(hi)),
                                  tuple(raw.get("edge_cases", ())), tolerance, gradient))
    if len(set(declared)) != len(declared):
        spot.error(("functions",), "two functions have the same name")
        ok = False
    if not ok:
        return None
    limits = fields.get("limits") or {}
    return Config(fields["file"], sizes, tuple(functions),
                  sandbox.Limits(seconds=float(limits.get("seconds", 10.0)),
                                 wall_seconds=2 * float(limits.get("seconds", 10.0)) + 5,
                                 memory_mb=int(limits.get("memory_mb", 512))),
                  _seed(str(fields["id"])), float(fields["points"]))


def _seed(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


def solve(config: Config) -> Reference:
    rng = np.random.default_rng(config.seed)
    out = {}
    for function in config.functions:
        trials = []
        plan = [("random", None)] * function.trials + [(edge, edge) for edge in function.edge_cases]
        for label, edge in plan:
            sizes = _draw_sizes(config.sizes, rng, edge)
            inputs = _draw_inputs(function, sizes, rng, edge)
            bound = function.solver.bind(_plain(inputs) | function.fixed)
            expected = function.solver.solve(bound)
            mistakes = tuple((name, tuple(values)) for name, values in function.solver.mistake_values(bound).items()
                             if values)
            trials.append(Trial(label if edge is None else edge.replace("-", " "), sizes, bound, expected, mistakes))
        out[function.name] = tuple(trials)
    return Reference(out)


def _draw_sizes(ranges: dict[str, tuple[int, int]], rng: np.random.Generator, edge: str | None) -> dict[str, int]:
    sizes = {name: int(rng.integers(lo, hi + 1)) for name, (lo, hi) in ranges.items()}
    if edge == "length-1" and "T" in sizes:
        sizes["T"] = 1
    if edge == "one-unit":
        sizes = {k: (v if k == "T" else 1) for k, v in sizes.items()}
    return sizes


def _draw_inputs(function: Function, sizes: dict[str, int], rng: np.random.Generator,
                 edge: str | None) -> dict[str, Any]:
    params = {p.name: p for p in function.solver.params}
    lo, hi = function.value_range
    inputs = {}
    for arg in function.args:
        shape = tuple(sizes[d] for d in params[arg].shape)
        value = np.zeros(shape) if edge == "zeros" else rng.uniform(lo, hi, size=shape)
        inputs[arg] = value if shape else float(value)
    return inputs


def _plain(inputs: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}


# --- read ---------------------------------------------------------------------------------------

def read(config: Config, raw: Any) -> Source:
    """The student's code: a file the submission names (read by the loader), or code written in the answer itself.
    A file that does not parse is unreadable, with the line (checked with ``ast``, which runs nothing)."""
    text = getattr(raw, "text", None)
    filename = getattr(raw, "name", None) or config.file
    where = getattr(raw, "where", None) or (lambda line: f"{filename}:{line}")  # a notebook's cell and line
    if filename.endswith(".ipynb"):
        filename = filename[:-len(".ipynb")] + ".py"  # the cells, joined, are the module the sandbox imports
    if text is None:
        if not isinstance(raw, str) or "\n" not in raw.strip() and "def " not in raw:
            raise Unreadable(f"hand in the file {config.file}: name it in your answers (q: {config.file}) and put it "
                             "in your submission folder")
        text = raw
    if len(text) > MAX_SOURCE:
        raise Unreadable(f"{filename} is longer than {MAX_SOURCE:,} characters")
    try:
        ast.parse(text, filename=filename)
    except SyntaxError as exc:
        raise Unreadable(f"{where(exc.lineno or 1)}: {exc.msg}") from None
    except ValueError as exc:  # null bytes
        raise Unreadable(f"{filename}: {exc}") from None
    return Source(text, filename)


# --- check --------------------------------------------------------------------------------------

def sandboxed() -> bool:
    """Whether code runs in bubblewrap: always, unless the instructor ran grader with --no-sandbox (which sets
    GRADER_NO_SANDBOX=1 for every worker, and warns)."""
    return os.environ.get("GRADER_NO_SANDBOX") != "1"


def check(config: Config, reference: Reference, answer: Source) -> Outcome:
    why = sandbox.available() if sandboxed() else None
    if why:
        return Outcome(Status.ERROR, 0.0, f"Code parts are not graded here: {why}. An instructor will look at it.",
                       None, (why,))
    calls, index = _calls(config, reference)
    run = _run(answer, calls, config.limits)
    if run.status == "syntax":
        return Outcome(Status.INVALID, 0.0, f"Could not read this answer: {run.message}.", "syntax")
    stopped = _run_problem(run, config) if run.status not in ("ok", "missing-function") else None
    earned, lines, details, codes = 0.0, [], [], []
    total = sum(f.points for f in config.functions)
    for function in config.functions:
        results = [run.results[k] if k < len(run.results) else None for k in index[function.name]]
        if stopped and any(r is None or not r.ok and (r.error or "").startswith("not run") for r in results):
            lines.append(f"{function.name}: {stopped[0]}")  # the run stopped before (or while) this one ran
            codes.append(stopped[1])
            continue
        passed, said, code = _judge(function, reference.trials[function.name], results)
        repeat = index.get(f"{function.name}#again")
        if repeat and passed and run.results[repeat[0]].ok and results[0] is not None and results[0].ok and \
                not _same(run.results[repeat[0]], results[0]):
            said, code = ("gives different results for the same input (random numbers, or state kept between "
                          "calls?)"), "nondeterministic"
        earned += function.points * passed / len(results)
        lines.append(f"{function.name}: {passed}/{len(results)} trials passed." + (f" {said}" if said else ""))
        if function.gradient is not None:
            fd = _gradient_check(config, function, reference, run, index)
            if fd:
                details.append(f"{function.name}: {fd}")
                lines.append(fd)
        if code:
            codes.append(code)
    fraction = earned / total if total else 0.0
    if stopped and run.message not in stopped[0]:
        details.append(run.message)
    if run.output:
        details.append("printed: " + run.output[:300])
    outcome = Outcome.of_fraction(fraction, " ".join(lines), codes[0] if codes else None, tuple(details))
    return replace(outcome, lasting=False) if run.transient else outcome


RUNS_KEPT = 256  # runs remembered per process; a run's results are a few small arrays
_runs: OrderedDict[str, Any] = OrderedDict()


def _run(answer: Source, calls: list, limits: Any) -> Any:
    """One sandbox run, remembered in this process by what determines it (the file, every call's inputs, the
    limits, whether it is sandboxed): a class regraded after a change to another part, a file handed in twice,
    or a student checking the same file again costs no second run. Runs stopped by the wall clock or a signal
    are not kept, since the same code may fare otherwise on a less busy machine."""
    digest = hashlib.sha256()
    for piece in (repr(limits), str(sandboxed()), answer.filename, answer.text):
        digest.update(piece.encode("utf-8", "surrogatepass") + b"\0")
    for call in calls:
        digest.update(call.function.encode() + b"\0")
        for arg in call.args:
            if isinstance(arg, str):
                digest.update(b"s" + arg.encode("utf-8", "surrogatepass") + b"\0")
            else:
                digest.update(repr(arg.shape).encode() + arg.tobytes())
    key = digest.hexdigest()
    if key in _runs:
        _runs.move_to_end(key)
        return _runs[key]
    run = sandbox.run_calls(answer.text, answer.filename, calls, limits, sandbox=sandboxed())
    clock.spent(run.seconds)
    if not run.transient:
        _runs[key] = run
        while len(_runs) > RUNS_KEPT:
            _runs.popitem(last=False)
    return run


def _calls(config: Config, reference: Reference) -> tuple[list, dict[str, list[int]]]:
    """Every call of one run: each function at each trial, the first trial once more (same input, same result?),
    and for a gradient, the student's forward at the perturbed inputs of its first trial."""
    calls: list = []
    index: dict[str, list[int]] = {}
    by_name = {f.name: f for f in config.functions}
    for function in config.functions:
        trials = reference.trials[function.name]
        index[function.name] = []
        for trial in trials:
            index[function.name].append(len(calls))
            calls.append(sandbox.Call(function.name, tuple(_arg(trial.inputs[a]) for a in function.args)))
        index[f"{function.name}#again"] = [len(calls)]
        calls.append(sandbox.Call(function.name, tuple(_arg(trials[0].inputs[a]) for a in function.args)))
        if function.gradient is not None:
            forward = by_name[function.gradient.forward]
            index[f"{function.name}#fd"] = []
            base = trials[0].inputs
            wrt = np.asarray(base[function.gradient.wrt], dtype=float)
            for flat in range(wrt.size):
                for sign in (1.0, -1.0):
                    moved = wrt.copy().ravel()
                    moved[flat] += sign * FD_STEP
                    inputs = dict(base) | {function.gradient.wrt: moved.reshape(wrt.shape)}
                    index[f"{function.name}#fd"].append(len(calls))
                    calls.append(sandbox.Call(forward.name, tuple(_arg(inputs[a]) for a in forward.args
                                                                  if a in inputs)))
    return calls, index


def _arg(value: Any) -> Any:
    return np.asarray(value, dtype=float) if not isinstance(value, str) else value


def _judge(function: Function, trials: tuple[Trial, ...], results: list) -> tuple[int, str, str | None]:
    """(trials passed, what went wrong at the first failing trial, its diagnosis code)."""
    passed, failing = 0, []
    for trial, result in zip(trials, results):
        verdict = _compare(function, trial, result)
        if verdict is None:
            passed += 1
        else:
            failing.append((trial, verdict))
    if not failing:
        return passed, "", None
    # the smallest failing input is the one to show (an edge case with one unit reads at a glance)
    trial, (said, code) = min(failing, key=lambda f: sum(np.size(v) for v in f[0].inputs.values()
                                                         if not isinstance(v, str)))
    if code in ("exception", "missing-function"):
        return passed, said, code
    return passed, f"A failing input ({_sizes_text(trial)}): {_inputs_text(function, trial)}. {said}", code


def _compare(function: Function, trial: Trial, result) -> tuple[str, str] | None:
    if result is None:
        return f"{function.name} was not called (the run stopped early).", "crashed"
    if not result.ok:
        if result.error and "is not defined" in result.error and function.name in result.error:
            return f"{function.name} is not defined in your file.", "missing-function"
        return f"{function.name} raised {result.error}", "exception"
    got = np.asarray(result.value, dtype=float)
    want = trial.expected
    if got.shape != want.shape:
        if got.ndim == 2 and got.T.shape == want.shape and _close(got.T, want, function.tolerance):
            return "This is the transpose of the right output: rows and columns are swapped.", "transpose"
        return f"Expected an output of shape {_shape(want)}, got {_shape(got)}.", "shape"
    if _close(got, want, function.tolerance):
        return None
    for name, values in trial.mistakes:
        if any(v.shape == got.shape and _close(got, v, function.tolerance) for v in values):
            said = next(m.feedback for m in function.solver.mistakes if m.name == name)
            return said, f"mistake:{name}"
    if got.ndim == 2 and got.shape == got.T.shape and _close(got.T, want, function.tolerance):
        return "This is the transpose of the right output: rows and columns are swapped.", "transpose"
    return "The output's shape is right, but its values are not.", "values"


def _gradient_check(config: Config, function: Function, reference: Reference, run, index) -> str | None:
    """The student's gradient at the first trial against finite differences of J = ½ Σ (their forward - targets)²."""
    spots = index.get(f"{function.name}#fd") or []
    first = run.results[index[function.name][0]] if index[function.name][0] < len(run.results) else None
    outs = [run.results[k] if k < len(run.results) else None for k in spots]
    if first is None or not first.ok or not outs or not all(o is not None and o.ok for o in outs):
        return None
    trial = reference.trials[function.name][0]
    targets = np.asarray(trial.inputs[function.gradient.targets], dtype=float)
    losses = []
    for out in outs:
        value = np.asarray(out.value, dtype=float)
        if value.shape != targets.shape:
            return None
        losses.append(0.5 * float(np.sum((value - targets) ** 2)))
    fd = (np.array(losses[0::2]) - np.array(losses[1::2])) / (2 * FD_STEP)
    grad = np.asarray(first.value, dtype=float)
    if grad.size != fd.size:
        return None
    consistent = np.allclose(grad.ravel(), fd, rtol=1e-3, atol=1e-5)
    right = _close(grad, trial.expected, function.tolerance) if grad.shape == trial.expected.shape else False
    if right:
        return None
    if consistent:
        return (f"Your {function.name} agrees with finite differences of your own {function.gradient.forward}: the "
                f"backward pass is consistent, so look at the forward pass.")
    return (f"Your {function.name} does not agree with finite differences of your own {function.gradient.forward}: "
            "the backward pass itself is wrong.")


def _run_problem(run, config: Config) -> tuple[str, str]:
    words = {
        "timeout": (f"Your code did not finish within {config.limits.seconds:g} s of CPU time: an endless loop, or "
                    "far more work than the task needs?", "timeout"),
        "memory": (f"Your code used more than {config.limits.memory_mb} MB of memory.", "memory"),
        "output": ("Your code printed far too much; remove the prints.", "output"),
        "crashed": (f"Your code stopped the process it ran in ({run.message}).", "crashed"),
    }
    if run.status == "timeout" and run.transient:  # the wall clock stopped it, not the CPU-time limit
        words["timeout"] = (f"Your code did not finish within {config.limits.wall_seconds:g} s: waiting for "
                            "something, or far more work than the task needs? (A busy machine can slow a run too: it "
                            "is run again when checked again.)", "timeout")
    return words.get(run.status, (run.message, run.status))


def _close(got: np.ndarray, want: np.ndarray, tol: Tolerance) -> bool:
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=tol.rtol, atol=tol.atol))


def _same(a, b) -> bool:
    x, y = np.asarray(a.value, dtype=float), np.asarray(b.value, dtype=float)
    return x.shape == y.shape and bool(np.array_equal(x, y, equal_nan=True))


def _shape(value: np.ndarray) -> str:
    return "a number" if value.ndim == 0 else "(" + ", ".join(map(str, value.shape)) + ")"


def _sizes_text(trial: Trial) -> str:
    sizes = ", ".join(f"{k} = {v}" for k, v in trial.sizes.items())
    return f"{trial.label}; {sizes}" if sizes else trial.label


def _inputs_text(function: Function, trial: Trial) -> str:
    parts = []
    for arg in function.args:
        value = trial.inputs[arg]
        shown = json.dumps(np.round(np.asarray(value, dtype=float), 3).tolist()) if not isinstance(value, str) else value
        parts.append(f"{arg} = {shown if len(shown) <= 120 else shown[:117] + '...'}")
    return ", ".join(parts)


# --- show / probes ------------------------------------------------------------------------------

def show(config: Config, reference: Reference) -> Any:
    return {"file": config.file, "functions": [{"name": f.name, "solver": f.solver.name, "args": list(f.args)}
                                               for f in config.functions]}


def probes(config: Config, reference: Reference) -> list[Probe]:
    """The reference against itself, and each named mistake, as code: a module answering every trial's inputs
    from a table of the solver's own outputs (what the sandbox, the comparison and the diagnosis must agree on)."""
    out = [Probe("the reference as code", _table_module(config, reference, None), full_marks)]
    seen = set()
    for function in config.functions:
        for trial in reference.trials[function.name]:
            for name, _ in trial.mistakes:
                if name in seen:
                    continue
                seen.add(name)
                out.append(Probe(f"mistake {name} as code", _table_module(config, reference, (function.name, name)),
                                 _names(f"mistake:{name}")))
    return out


def _names(code: str):
    def expect(outcome: Outcome) -> str | None:
        if outcome.diagnosis == code and outcome.fraction < 1.0:
            return None
        return f"expected {code}, got {outcome.diagnosis or 'none'} ({outcome.fraction:.0%} of the points)"
    return expect


def _table_module(config: Config, reference: Reference, mistake: tuple[str, str] | None) -> str:
    lines = ["import numpy as np", "", "def _key(args):",
             "    return tuple(np.round(np.asarray(a, dtype=float), 9).tobytes() if not isinstance(a, str) else a "
             "for a in args)", ""]
    for function in config.functions:
        table = []
        for trial in reference.trials[function.name]:
            value = trial.expected
            if mistake and mistake[0] == function.name:
                values = dict(trial.mistakes).get(mistake[1])
                value = values[0] if values else value
            args = [np.asarray(trial.inputs[a], dtype=float).tolist() for a in function.args]
            table.append((args, np.asarray(value, dtype=float).tolist()))
        lines += [f"_{function.name}_table = {{_key(a): v for a, v in {json.dumps(table)}}}", "",
                  f"def {function.name}(*args):",
                  f"    return np.asarray(_{function.name}_table[_key(args)])", ""]
    return "\n".join(lines)
