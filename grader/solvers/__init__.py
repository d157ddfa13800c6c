"""Reference solvers, found by dotted name (``attention.argmax``).

To add a solver module, write it beside this file and add it to ``MODULES``: every public
:class:`~grader.solvers.base.Solver` it defines is registered as ``<module>.<function>``.
"""
from __future__ import annotations

from . import attention, rnn
from .base import Instance, InstanceSolver, Mistake, Param, ParamError, Solver, SolverError

MODULES = (attention, rnn)  # one entry per solver module


def _collect() -> dict[str, Solver | InstanceSolver]:
    found: dict[str, Solver | InstanceSolver] = {}
    for module in MODULES:
        short = module.__name__.rsplit(".", 1)[-1]
        for attr, value in vars(module).items():
            if isinstance(value, (Solver, InstanceSolver)) and not attr.startswith("_"):  # private names are helpers
                value.name = f"{short}.{attr}"
                found[value.name] = value
    return found


SOLVERS: dict[str, Solver | InstanceSolver] = _collect()


def get(name: str) -> Solver | InstanceSolver | None:
    return SOLVERS.get(name)


__all__ = ["SOLVERS", "get", "Instance", "InstanceSolver", "Solver", "Param", "Mistake", "ParamError", "SolverError"]
