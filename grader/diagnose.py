"""Naming how a wrong answer relates to the right one: transposed, sign flipped, scaled.

Shared by the numeric kind (one value) and the expression kind (values at several
points): each test takes the student's values and the reference values, paired by
point, and a ``close(a, b)`` that applies the part's tolerance.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

Close = Callable[[np.ndarray, np.ndarray], bool]

# for a single number every wrong answer is some multiple of the right one: only round factors count
ROUND_FACTORS = [2.0, 0.5, 3.0, 1 / 3, 4.0, 0.25] + [10.0 ** k for k in range(-6, 7) if k]


def transposed(student: Sequence[np.ndarray], reference: Sequence[np.ndarray], close: Close) -> bool:
    """Rows and columns swapped (and the arrays are not symmetric, so it makes a difference)."""
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in zip(student, reference)]
    if not pairs or any(a.ndim != 2 or a.shape != b.shape[::-1] for a, b in pairs):
        return False
    if all(b.shape[0] == b.shape[1] and close(b.T, b) for _, b in pairs):
        return False  # a symmetric reference: its transpose is itself
    return all(close(a.T, b) for a, b in pairs)


def sign_flipped(student: Sequence[np.ndarray], reference: Sequence[np.ndarray], close: Close) -> bool:
    pairs = [(np.asarray(a, dtype=float), np.asarray(b, dtype=float)) for a, b in zip(student, reference)]
    if not pairs or all(not np.any(b) for _, b in pairs):
        return False
    return all(a.shape == b.shape and close(-a, b) for a, b in pairs)


def scale_factor(student: Sequence[np.ndarray], reference: Sequence[np.ndarray], close: Close,
                 round_only: bool = False) -> float | None:
    """A constant c, not within 5% of ±1, with student = c · reference everywhere; None if there is none.

    ``round_only`` (one number compared once): only factors such as 2, 1/2 or powers of ten count.
    """
    a = np.concatenate([np.ravel(np.asarray(x, dtype=float)) for x in student]) if student else np.array([])
    b = np.concatenate([np.ravel(np.asarray(x, dtype=float)) for x in reference]) if reference else np.array([])
    if a.shape != b.shape or not a.size:
        return None
    nonzero = np.abs(b) > 0
    if not np.any(nonzero) or np.any(a[nonzero] == 0):
        return None
    c = _median(a[nonzero] / b[nonzero])
    if not math.isfinite(c) or abs(abs(c) - 1) < 0.05:  # within 5%: inaccurate, not scaled
        return None
    if round_only or np.count_nonzero(nonzero) < 2:
        matches = [f for r in ROUND_FACTORS for f in (r, -r) if math.isclose(c, f, rel_tol=1e-6)]
        if not matches:
            return None
        c = matches[0]
    ok = all(close(np.asarray(x, dtype=float), c * np.asarray(y, dtype=float)) and
             close(np.asarray(x, dtype=float) / c, np.asarray(y, dtype=float)) for x, y in zip(student, reference))
    return c if ok else None


def _median(values: np.ndarray) -> float:
    """``np.median`` of a flat array, the same number (NaN if any is), without what its first call costs: it
    imports ``numpy.ma`` to look for masked arrays, 0.1-0.2 s in the middle of grading."""
    if np.isnan(values).any():
        return math.nan
    ordered = np.sort(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else float((ordered[middle - 1] + ordered[middle]) / 2)
