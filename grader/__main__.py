from grader.cli import run

raise SystemExit(run())
