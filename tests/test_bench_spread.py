"""The batch benchmark's spread line: a reader of its figures is told when the machine was busy during the runs."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "batch.py"


def _batch():
    """bench/batch.py as a module; the folder it puts first on ``sys.path`` (for its ``synthetic``) is taken off
    again, or its ``code.py`` would stand in for the standard library's ``code`` in every later test."""
    saved = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location("bench_batch", BENCH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


def _runs(floor, one, two, cpu=(1.0, 1.0, 1.0), used=None):
    """Each command's runs as ``timed`` gives them: (seconds, peak MiB, CPU seconds); ``used``: the CPU seconds of
    the floor's, one job's and two jobs' runs (by default, their seconds)."""
    peak = 60.0
    used = used or (floor, one, two)
    return {"cpu1": [(c, peak, c) for c in cpu], "cpu2": [(c / 1.6, peak, c) for c in cpu],
            **{name: [(s, peak, u) for s, u in zip(seconds, spent)]
               for name, seconds, spent in zip(("floor", "jobs1", "jobs2"), (floor, one, two), used)}}


def test_steady_runs_show_their_ranges_and_ratios_round_by_round():
    said = _batch()._spread(_runs(floor=[3.0, 3.1, 3.2], one=[6.0, 6.2, 6.4], two=[4.0, 4.0, 4.1]))
    assert "floor 3.00-3.20 s" in said and "jobs 1 6.00-6.40 s" in said and "jobs 2 4.00-4.10 s" in said
    assert "jobs 1 / floor 2.00x, 2.00x, 2.00x" in said
    assert "jobs 2 faster 1.50x, 1.55x, 1.56x" in said
    assert "busy" not in said


def test_a_busy_spell_is_said_so():
    said = _batch()._spread(_runs(floor=[3.0, 7.8, 3.1], one=[6.0, 6.1, 6.2], two=[4.0, 4.0, 4.1]))
    assert "the machine was busy" in said and "160%" in said


def test_a_busy_spell_in_the_machines_own_loop_counts_too():
    said = _batch()._spread(_runs(floor=[3.0, 3.0, 3.0], one=[6.0, 6.0, 6.0], two=[4.0, 4.0, 4.0],
                                  cpu=(1.0, 1.5, 1.0)))
    assert "the machine was busy" in said


def test_the_cpu_line_gives_each_commands_median_and_what_a_second_job_adds():
    runs = _runs(floor=[1.3] * 3, one=[4.0] * 3, two=[2.5] * 3,
                 used=((1.2, 1.1, 1.3), (3.9, 4.4, 3.8), (4.3, 4.1, 4.9)))
    said = _batch()._cpu(runs)
    assert "floor 1.20 s, jobs 1 3.90 s, jobs 2 4.30 s" in said
    assert "two jobs used 1.10x the CPU of one" in said
