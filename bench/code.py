"""Code parts at class scale: 200 folder submissions of the seed homework's q4, graded in bubblewrap.

    python bench/code.py [--students 200] [--keep DIR]

Measured in one run, on this machine:
- the sandbox's start-up alone: a trivial module with one call, run 20 times (median);
- ``grader grade`` of the class with ``--jobs 1``, ``--jobs 2``, and ``--cluster`` on a 2-worker Dask
  LocalCluster (started first, not timed): seconds, seconds per submission, and each speed-up over one job.

The submissions cycle through the example class's q4 files and tests/data/code/transposed.py (right, the σ′(z_t)
slip, the last loss only, transposed states, reading the spec), so the runs hold the mix a class hands in; an endless
loop is left out, since its time is the CPU limit, not grader's.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import sandbox  # noqa: E402

EXAMPLES = ROOT / "submissions" / "rnn-attention"
MIX = tuple(EXAMPLES / s / "rnn.py" for s in ("99522027", "99522014", "99522059")) + \
    (ROOT / "tests" / "data" / "code" / "transposed.py", EXAMPLES / "99522033" / "rnn.py", EXAMPLES / "99522027" / "rnn.py")


def write_class(folder: Path, students: int) -> Path:
    """A spec holding only q4, and ``students`` folder submissions."""
    spec = yaml.safe_load((ROOT / "problems" / "rnn-attention.yaml").read_text(encoding="utf-8"))
    spec["questions"] = [q for q in spec["questions"] if any(p["kind"] == "code" for p in q["parts"])]
    spec_path = folder / "q4.yaml"
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    part = spec["questions"][0]["parts"][0]
    for k in range(students):
        student = folder / "class" / f"s{k:04d}"
        student.mkdir(parents=True)
        # each file differs (as students' files do), so grader's memory of runs by content never answers
        text = f"# s{k:04d}\n" + MIX[k % len(MIX)].read_text(encoding="utf-8")
        (student / part["file"]).write_text(text, "utf-8")
        (student / "answers.yaml").write_text(yaml.safe_dump({"assignment": spec["id"], "student": f"s{k:04d}",
                                                             "answers": {part["id"]: part["file"]}}), "utf-8")
    return spec_path


def startup(rounds: int = 20) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run = sandbox.run_calls("def f():\n    return 1.0\n", "f.py", [sandbox.Call("f", ())])
        times.append(time.perf_counter() - started)
        assert run.status == "ok", run.message
    return statistics.median(times)


def grade(spec: Path, folder: Path, out: Path, *options: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", "grade", str(spec), str(folder), "--out", str(out), "--quiet",
                    "--format", "json", *options], check=True, cwd=ROOT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="write the class here and keep it")
    args = parser.parse_args()
    why = sandbox.available()
    if why:
        sys.exit(f"bench/code.py: {why}")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="grader-code-bench-"))
    try:
        spec = write_class(folder, args.students)
        print(f"{args.students} code submissions (q4: rnn_forward and rnn_bptt_whh), {folder}")
        alone = startup()
        print(f"  sandbox start-up alone, median of 20:  {alone * 1000:7.1f} ms")
        one = grade(spec, folder / "class", folder / "out1", "--jobs", "1")
        two = grade(spec, folder / "class", folder / "out2", "--jobs", "2")
        from distributed import LocalCluster
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            dask = grade(spec, folder / "class", folder / "out3", "--cluster", cluster.scheduler_address)
        n = args.students
        print(f"  --jobs 1:              {one:7.1f} s   {one / n * 1000:6.0f} ms per submission")
        print(f"  --jobs 2:              {two:7.1f} s   {two / n * 1000:6.0f} ms per submission   "
              f"speed-up {one / two:.2f}x")
        print(f"  --cluster (2 workers): {dask:7.1f} s   {dask / n * 1000:6.0f} ms per submission   "
              f"speed-up {one / dask:.2f}x")
        print(f"  sandbox start-up is {alone / (one / n):.0%} of a submission's time with one job")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
