"""Class-scale grading against the I/O floor of the same job, measured in one run.

    python bench/batch.py [--sizes 1000,10000,100000] [--where disk,shm] [--rounds 3] [--keep DIR]

For each place (``disk``: the system's temporary directory; ``shm``: /dev/shm, a RAM disk, where
reading and writing cost least) and each size N: write N synthetic submissions of the seed homework
(bench/synthetic.py: a realistic mix of right, wrong and malformed answers), then time, each in a
fresh process:

- the floor: parse every file with yaml.CSafeLoader and write one JSON report per file
  with json.dumps - the least any grader must do with the same files;
- ``grader grade --format json --jobs 1`` and ``--jobs 2`` (each into a new output directory);
- the machine's own gain from a second process: a CPU-bound loop run twice by one process, and once
  each by two at once (the ceiling for ``--jobs 2``: on a shared machine the cores are not always equal);
- grader's own work split in two: two ``--jobs 1`` runs at once, each on half of the class (the same files,
  hard-linked into two folders), each into its own folder. Nothing is shared or sent between them, so this is
  what ``--jobs 2`` could reach on this machine with this work if coordinating its workers cost nothing; it
  falls short of the loop's gain where two processes slow each other down (shared caches, memory).

Each of these runs is repeated (``--rounds``, default 3, in rotating order, with the
file system synced before each) and the median is reported, since disk timings on a shared
machine vary a lot from one run to the next. It prints the seconds, grading / floor, jobs 2
vs jobs 1, and the peak resident memory of the largest process of each run (the grading
process for --jobs 1; with --jobs 2 the largest of it and its workers), so 1,000 and
10,000 can be compared; and the CPU time each command used, all its processes together, so the work
a second job adds shows apart from how busy the machine was. With more than one round it also prints each
command's fastest and slowest run and the ratios round by round, and says so when one command's runs differ
by more than a quarter: the machine was busy during some of them, and the medians may mislead.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import write_class  # noqa: E402

FLOOR = r"""
import json, sys
from pathlib import Path
import yaml
source, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir()
for path in sorted(source.iterdir()):
    try:
        data = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        data = {"error": str(exc)}
    (out / (path.stem + ".json")).write_text(json.dumps(data, ensure_ascii=False, default=str) + "\n",
                                             encoding="utf-8")
"""

# The machine's own gain from a second process: one process runs a CPU-bound loop twice, or two run it once each,
# at once. On a shared machine the second core is not always as fast as the first: this is the ceiling for --jobs 2.
CPU = r"""
import subprocess, sys
LOOP = "x = 0\nfor i in range(8_000_000):\n    x += i * i % 7"
if sys.argv[1] == "1":
    exec(LOOP)
    exec(LOOP)
else:
    for p in [subprocess.Popen([sys.executable, "-c", LOOP]) for _ in range(2)]:
        p.wait()
"""

# Grader's own work split in two with nothing shared: two one-job runs at once, each on half of the class, each into
# its own folder. What two jobs could reach on this machine with this work if coordinating them cost nothing.
HALVES = r"""
import subprocess, sys
spec, first, second, out = sys.argv[1:5]
runs = [subprocess.Popen([sys.executable, "-m", "grader", "grade", spec, half, "--out", f"{out}-{k}", "--format",
                          "json", "--jobs", "1", "--quiet"]) for k, half in enumerate((first, second))]
sys.exit(max(run.wait() for run in runs))
"""

# Runs a command as its child and prints the largest peak RSS among its descendants (KiB, Linux), then the CPU
# seconds (user and system) they used together.
MEASURE = r"""
import resource, subprocess, sys
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
used = resource.getrusage(resource.RUSAGE_CHILDREN)
print(used.ru_maxrss, used.ru_utime + used.ru_stime)
sys.exit(code)
"""


def timed(command: list[str]) -> tuple[float, float, float]:
    """(seconds, peak MiB, CPU seconds) of a command run in a fresh process, after syncing the file system."""
    os.sync()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode not in (0,):
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    peak, cpu = done.stdout.strip().splitlines()[-1].split()
    return seconds, int(peak) / 1024, float(cpu)


def _middle(values: Iterable[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _median(runs: list[tuple]) -> tuple[float, float]:
    """(seconds, peak MiB), each the median of the runs."""
    return _middle(r[0] for r in runs), _middle(r[1] for r in runs)


def _cpu(runs: dict[str, list[tuple]]) -> str:
    """The CPU time (user and system, median) each command used, and what two jobs used against one: the work a
    second process adds (starting it, sending results across, checks each worker makes for itself). Wall time
    moves with how busy the machine is; this ratio much less."""
    cpu = {name: _middle(r[2] for r in runs[name]) for name in ("floor", "jobs1", "jobs2")}
    return (f"CPU (user + system, medians): floor {cpu['floor']:.2f} s, jobs 1 {cpu['jobs1']:.2f} s, jobs 2 "
            f"{cpu['jobs2']:.2f} s; two jobs used {cpu['jobs2'] / cpu['jobs1']:.2f}x the CPU of one")


BUSY = 1.25  # the slowest run of one command this much slower than its fastest: the machine was busy meanwhile


def _spread(runs: dict[str, list[tuple]]) -> str:
    """Each command's fastest and slowest run, and the ratios round by round (each round's grading against that
    round's floor): on a shared machine a busy spell slows some runs, and a median alone does not show it."""
    ranges = {name: (min(r[0] for r in done), max(r[0] for r in done)) for name, done in runs.items()}
    each = [one[0] / floor[0] for one, floor in zip(runs["jobs1"], runs["floor"])]
    faster = [one[0] / two[0] for one, two in zip(runs["jobs1"], runs["jobs2"])]
    said = (f"rounds: floor {ranges['floor'][0]:.2f}-{ranges['floor'][1]:.2f} s, jobs 1 {ranges['jobs1'][0]:.2f}-"
            f"{ranges['jobs1'][1]:.2f} s, jobs 2 {ranges['jobs2'][0]:.2f}-{ranges['jobs2'][1]:.2f} s; round by round, "
            f"jobs 1 / floor {', '.join(f'{r:.2f}x' for r in each)}, jobs 2 faster {', '.join(f'{r:.2f}x' for r in faster)}")
    worst = max(high / low for low, high in ranges.values())
    if worst > BUSY:
        said += (f"\n          the machine was busy: one command's runs differed by up to {worst - 1:.0%}; "
                 "read these figures with care, or run again")
    return said


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--where", default="disk,shm", help="disk (the temporary directory), shm (/dev/shm), or both")
    ap.add_argument("--dir", metavar="DIR", help="work in a temporary directory inside DIR instead")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary directory)")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each kind; the median is reported")
    args = ap.parse_args()
    # grader as an installed copy starts: from compiled modules (pip compiles them; a checkout may never have)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "grader")], check=True)
    places = [("dir", args.dir)] if args.dir or args.keep else \
        [(w, "/dev/shm" if w == "shm" else None) for w in args.where.split(",")]
    for label, place in places:
        print(f"== {label}: {place or tempfile.gettempdir()}", flush=True)
        run_place(args, Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="grader-bench-", dir=place)))
    return 0


def run_place(args: argparse.Namespace, work: Path) -> None:
    spec = ROOT / "problems" / "rnn-attention.yaml"
    grader = [sys.executable, "-m", "grader", "grade", str(spec)]
    rows = []
    try:
        for n in [int(s) for s in args.sizes.split(",")]:
            folder = work / f"class-{n}"
            if folder.exists():
                shutil.rmtree(folder)
            paths = write_class(folder, n)
            halves = [work / f"class-{n}-{k}" for k in (1, 2)]
            for k, half in enumerate(halves):  # the same files, linked: half the class each
                shutil.rmtree(half, ignore_errors=True)
                half.mkdir()
                for path in paths[k * n // 2:(k + 1) * n // 2]:
                    os.link(path, half / path.name)
            commands = {
                "cpu1": lambda out: [sys.executable, "-c", CPU, "1"],
                "cpu2": lambda out: [sys.executable, "-c", CPU, "2"],
                "floor": lambda out: [sys.executable, "-c", FLOOR, str(folder), str(out)],
                "jobs1": lambda out: [*grader, str(folder), "--out", str(out), "--format", "json", "--jobs", "1",
                                      "--quiet"],
                "jobs2": lambda out: [*grader, str(folder), "--out", str(out), "--format", "json", "--jobs", "2",
                                      "--quiet"],
                "halves": lambda out: [sys.executable, "-c", HALVES, str(spec), *map(str, halves), str(out)],
            }
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
            order = list(commands)
            for r in range(args.rounds):
                for name in order[r % len(order):] + order[:r % len(order)]:  # rotated: none always follows another
                    out = work / f"{name}-{n}"
                    for stale in (out, Path(f"{out}-0"), Path(f"{out}-1")):
                        shutil.rmtree(stale, ignore_errors=True)
                    runs[name].append(timed(commands[name](out)))
            floor, one, two = (_median(runs[name]) for name in ("floor", "jobs1", "jobs2"))
            machine = _median(runs["cpu1"])[0] / _median(runs["cpu2"])[0]
            rows.append((n, floor, one, two))
            print(f"N={n:>6}: floor {floor[0]:6.2f} s | grade --jobs 1 {one[0]:6.2f} s = {one[0] / floor[0]:4.2f}x floor"
                  f" | --jobs 2 {two[0]:6.2f} s = {two[0] / floor[0]:4.2f}x floor, {one[0] / two[0]:4.2f}x faster "
                  f"than 1 | peak MiB: floor {floor[1]:.0f}, jobs1 {one[1]:.0f}, jobs2 {two[1]:.0f}", flush=True)
            split = one[0] / _median(runs["halves"])[0]
            print(f"          the machine itself: two processes {machine:4.2f}x faster than one on a CPU-bound loop "
                  f"(grader's two jobs reach {one[0] / two[0] / machine:.0%} of that); two one-job runs at once on "
                  f"halves of the class {split:4.2f}x faster than one job (two jobs reach {one[0] / two[0] / split:.0%} "
                  "of that)", flush=True)
            print("          " + _cpu(runs), flush=True)
            if args.rounds > 1:
                print("          " + _spread(runs), flush=True)
            if not args.keep:  # a class of 100,000 is 400 MB, its reports as much again
                for gone in [folder, *halves] + [Path(f"{work / name}-{n}{k}") for name in commands
                                                 for k in ("", "-0", "-1")]:
                    shutil.rmtree(gone, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"(medians of {args.rounds} runs each, in {work})")
    if len(rows) >= 2:
        (n0, _, one0, two0), (n1, _, one1, two1) = rows[0], rows[-1]
        print(f"peak memory at N={n1} vs N={n0}: jobs1 {one1[1] / one0[1]:.2f}x, jobs2 {two1[1] / two0[1]:.2f}x",
              flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
