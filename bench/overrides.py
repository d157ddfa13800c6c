"""Importing an override sheet into a graded class, against reading that class once, measured in one run.

    python bench/overrides.py [--students 1500] [--rows 50,500] [--keep DIR]

Writes a synthetic class of the seed homework (bench/synthetic.py), grades it once, then times, each
in a fresh process: the baseline, ``grader export OUT --format csv`` (one pass over every report in the
gradebook, written out as a sheet), and ``grader override OUT --import`` of sheets of each size (one
row per student, the free-text part q3b). It prints the seconds, the import / baseline ratio, and the
cost per row, which should stay flat as the sheet grows: the sheet is recorded in one transaction
and the class read once, however many rows it has.
"""
from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import write_class  # noqa: E402

SPEC = ROOT / "problems" / "rnn-attention.yaml"


def grader(*args: object) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", *map(str, args)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL if args[0] == "grade" else None,
                   cwd=ROOT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1500)
    parser.add_argument("--rows", default="50,500")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work here and keep it (default: a temporary folder)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="grader-bench-"))
    try:
        write_class(work / "class", args.students)
        out = work / "out"
        grader("grade", SPEC, work / "class", "--out", out, "--quiet", "--format", "json")
        with sqlite3.connect(out / "gradebook.sqlite") as db:
            students = sorted(s for (s,) in db.execute("SELECT DISTINCT student FROM submissions"))
        baseline = min(grader("export", out, "--format", "csv") for _ in range(args.rounds))
        print(f"class of {args.students}: baseline (export csv, one pass over the gradebook) {baseline:.2f} s")
        for rows in map(int, args.rows.split(",")):
            sheet = work / f"overrides-{rows}.csv"
            sheet.write_text("student,part,score,comment\n" + "".join(
                f"{s},q3b,2.5,Read by hand\n" for s in students[:rows]), encoding="utf-8")
            took = min(grader("override", out, "--import", sheet) for _ in range(args.rounds))
            print(f"  import {rows:5d} rows: {took:6.2f} s = {took / baseline:5.2f}x baseline, "
                  f"{1000 * took / rows:6.2f} ms per row")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
