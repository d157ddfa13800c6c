"""How close is close enough: relative/absolute, significant figures, decimal places, and strict writing.

For a student value ``a`` and the reference ``b``:

- ``{rtol, atol}``: ``|a - b| <= atol + rtol*|b|`` (numpy ``isclose``; ``b`` is the reference);
- ``{sigfigs: n}``: ``|a - b| <= 0.51 * 10**(floor(log10|b|) - n + 1)``, i.e. right to n figures;
- ``{decimals: n}``: ``|a - b| <= 0.51 * 10**-n``.

A difference equal to the bound passes. The bound gets a relative slack of 1e-9 plus a few
ulps of the operands, so floating-point rounding (``1.0051 - 1`` is not exactly ``0.0051``)
never flips a case on the boundary.

``strict`` (with sigfigs or decimals) asks more: the answer must be *written* with that many
figures or places and equal the reference rounded half away from zero, as a lab report would.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .numbers import (Unreadable, count_decimals, count_sigfigs, round_decimals, round_sigfigs,
                      to_decimal)
from .normalize import number_text
from .errors import quote

_ULP = 2.220446049250313e-16
SLACK = 1e-9


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 0.0
    atol: float = 0.0
    sigfigs: int | None = None
    decimals: int | None = None
    strict: bool = False

    def bound(self, b: float) -> float:
        """The largest accepted |a - b| for reference ``b`` (before slack)."""
        if self.sigfigs is not None:
            magnitude = math.floor(math.log10(abs(b))) if b != 0 else 0
            return 0.51 * 10.0 ** (magnitude - self.sigfigs + 1)
        if self.decimals is not None:
            return 0.51 * 10.0 ** (-self.decimals)
        return self.atol + self.rtol * abs(b)

    def describe(self) -> str:
        if self.sigfigs is not None:
            return f"{self.sigfigs} significant figure{'s' * (self.sigfigs != 1)}"
        if self.decimals is not None:
            return f"{self.decimals} decimal place{'s' * (self.decimals != 1)}"
        parts = []
        if self.rtol:
            parts.append(f"relative tolerance {self.rtol:g}")
        if self.atol:
            parts.append(f"absolute tolerance {self.atol:g}")
        return " and ".join(parts) or "exact match"


DEFAULT = Tolerance(rtol=1e-3, atol=1e-8)  # 0.1%, the default of WeBWorK's numeric checks


def within(a: float, b: float, tol: Tolerance) -> bool:
    """Is ``a`` accurate enough, measured against the reference ``b``?"""
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    bound = tol.bound(b)
    slack = SLACK * bound + 4 * _ULP * max(abs(a), abs(b))
    return abs(a - b) <= bound + slack


def written_ok(text: str, b: float, tol: Tolerance) -> bool:
    """Strict mode: written with the asked precision, and equal to ``b`` rounded half away from zero."""
    return written_problem(text, b, tol) is None


def written_problem(text: str, b: float, tol: Tolerance) -> str | None:
    """Why a strictly-graded entry fails, in words a student can act on; ``None`` when it passes.

    The message never states the reference value.
    """
    text = number_text(text)
    try:
        value = to_decimal(text)
    except Unreadable:
        return f"write {quote(text)} as a decimal number, so its precision can be read"
    if tol.sigfigs is not None:
        n = tol.sigfigs
        fewest, most = count_sigfigs(text)
        if not fewest <= n <= most:
            shown = str(fewest) if fewest == most else f"{fewest} to {most}"
            return f"write it with {n} significant figure{'s' * (n != 1)} ({quote(text)} shows {shown})"
        target = round_sigfigs(b, n)
    elif tol.decimals is not None:
        n = tol.decimals
        places = count_decimals(text)
        if places != n:
            return f"write it with {n} decimal place{'s' * (n != 1)} ({quote(text)} shows {places})"
        target = round_decimals(b, n)
    else:
        return None
    if value != target:
        return f"{quote(text)} is not the value rounded to {tol.describe()}"
    return None
