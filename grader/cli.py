"""Command line: one function per subcommand, each a thin call into the core.

Exit status: 0 done (whatever the scores); 1 ``--fail-under`` not met or ``--selftest``
failed; 2 unusable input (an invalid spec, a file that cannot be read, a bad option).
Every user error is one line naming the file and, where known, line:col; ``--debug``
shows tracebacks.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import sqlite3
import sys
from pathlib import Path
from typing import Iterable, Sequence

from . import __version__
from .errors import GraderError, InputError, SpecErrors, quote, shown_path
from .batch import default_jobs, grade_class
from .collect import collect, regular_file, submission_file
from .gradebook import Gradebook, sqlite_problem
from .overrides import OverrideEntry, check_overrides, check_report_files, comment_text, read_override_csv, \
    rewrite_reports
from .grading import grade_safely
from .kinds import KINDS
from .report import RENDERERS, terminal
from .selftest import selftest
from .spec import LoadedSpec, load_spec
from .submission import load_submission
from .files import ensure_folder, safe_name, write_atomic
from .normalize import student_id
from .roster import read_roster
from .variants import VariantError, plain, show

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


class UsageError(GraderError):
    """A bad option or path: one line, exit status 2."""


GC_THRESHOLD = (50_000, 20, 20)  # the collector's: new objects looked at every 50,000, not every 700


def run() -> int:
    """The ``grader`` program: :func:`main`, with the garbage collector tuned for a run, then nothing left for it.

    Grading makes and drops many small objects (answers, trees, results), and few of them form cycles, so
    CPython's default of a collection every 700 new objects mostly walks objects about to be freed anyway: on the
    expression benchmark's class, collections took 0.097 s of a 1.9 s run, and 0.048 s with this setting (mypy
    tunes its own the same way). At the end the process is ending, and Python's shutdown would walk every object
    the run made only for the system to take the memory back: 0.10-0.13 s after a class of 307 expression parts,
    0.02 s once they are frozen (issue 13). Forked workers inherit the setting; ``main()`` called in-process (the
    tests) leaves the collector as it is."""
    gc.set_threshold(*GC_THRESHOLD)
    code = main()
    gc.freeze()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (already printed)
        return int(exc.code or 0)
    if getattr(args, "no_sandbox", False):  # read by the code kind, in this process and every worker it starts
        os.environ["GRADER_NO_SANDBOX"] = "1"
        print("grader: warning: --no-sandbox: students' code runs without isolation, with this user's rights",
              file=sys.stderr)
    try:
        return args.run(args)
    except SpecErrors as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    except VariantError as exc:  # one student's numbers cannot be drawn (validate would have said so)
        print(f"grader: {args.spec}: cannot build this student's version: {exc.message}", file=sys.stderr)
        return EXIT_INPUT
    except GraderError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except sqlite3.Error as exc:  # a gradebook damaged beyond the pages read when it was opened, or a full disk
        book = Path(getattr(args, "out", None) or ".") / "gradebook.sqlite"
        print(f"grader: {sqlite_problem(book, exc)}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:  # the file system said no (a full disk, a folder we may not write in): not a bug
        where = f"{shown_path(exc.filename)}: " if exc.filename else ""
        print(f"grader: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (grader ... | head): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a bug of ours: one line unless --debug
        if getattr(args, "debug", False):
            raise
        print(f"grader: internal error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return EXIT_INPUT
    finally:
        try:
            if sys.stdout is not None:
                sys.stdout.flush()
        except (OSError, ValueError):  # stdout closed, or a full disk behind it: nothing more can be said there
            pass


# --- subcommands ------------------------------------------------------------------------------

def cmd_validate(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for path in args.specs:
        try:
            spec = load_spec(path, probes=args.students)  # a randomized spec: that many variants built
        except SpecErrors as exc:
            print(str(exc), file=sys.stderr)
            status = EXIT_INPUT
            continue
        a = spec.assignment
        for warning in spec.warnings:
            print(_warning(warning), file=sys.stderr)
        print(f"{path}: ok: {a.id}, {len(a.parts)} parts, {a.max_score:g} points"
              + (f", {len(spec.warnings)} warning(s)" if spec.warnings else ""))
        if args.selftest:
            failures, lines = selftest(spec, _probe_students(spec, args))
            for line in lines:
                print("  " + line)
            if failures:
                print(f"{path}: selftest FAILED: {failures} probe(s)", file=sys.stderr)
                status = max(status, EXIT_FAIL)
            else:
                print(f"{path}: selftest passed")
    return status


def _warning(problem: InputError) -> str:
    """``file:line:col: warning: message``, the form editors and CI annotations read."""
    return f"{problem.where}: warning: {problem.message}"


def _probe_students(spec: LoadedSpec, args: argparse.Namespace) -> list[str]:
    """Whose variants --selftest grades: the roster's students, or N made-up ones."""
    if not spec.randomized:
        return []
    if args.roster:
        return [e.student for e in read_roster(args.roster)]
    return [f"student-{k:05d}" for k in range(1, args.students + 1)]


def cmd_grade(args: argparse.Namespace) -> int:
    spec_path = Path(args.spec)
    spec = load_spec(spec_path)
    formats = _formats(args.format)
    found = collect(args.paths, Path(args.out))  # before OUT is made: a refused run leaves nothing behind
    out = _out_dir(args.out)
    jobs = args.jobs or default_jobs()
    progress = not args.quiet and sys.stderr.isatty()
    for note in found.notes:
        print(terminal.clean(note, 500), file=sys.stderr)
    summary = grade_class(spec_path, spec, found.files, out, jobs=jobs, formats=formats,
                          regrade=args.regrade, progress=progress, folders=found.folders, unseen=found.unseen,
                          cluster=args.cluster)
    for problem in summary.problems + summary.warnings:
        print(terminal.clean(problem, 500), file=sys.stderr)
    if summary.unreadable > len(summary.problems):
        print(f"... and {summary.unreadable - len(summary.problems)} more unreadable files", file=sys.stderr)
    if not args.quiet:
        if summary.rows:
            sys.stdout.write(terminal.table(summary.rows))
        print(_summary_line(summary, summary.graded + summary.skipped, len(found.notes) + summary.left_out, out))
    with Gradebook(out / "gradebook.sqlite") as book:
        scores = [(row.student, row.report["score"], row.report["max_score"])
                  for row in book.rows(spec.assignment.id)] if args.fail_under is not None else []
    return _fail_under(scores, args.fail_under)


def _summary_line(summary, files: int, left_out: int, out: Path) -> str:
    mean = summary.total_score / summary.graded if summary.graded else 0.0
    parts = [f"{files} submission(s): {summary.graded} graded, {summary.skipped} unchanged (skipped)",
             f"{summary.unreadable} unreadable"]
    if summary.gone:
        parts.append(f"{summary.gone} graded before and gone from the class folder (removed)")
    if left_out:
        parts.append(f"{left_out} other entr{'y' if left_out == 1 else 'ies'} left out (each said why above)")
    if summary.errors:
        parts.append(f"{summary.errors} part(s) the grader failed on")
    if summary.graded:
        parts.append(f"mean score of those graded {mean:.2f}/{summary.max_score:g}")
    return "; ".join(parts) + f"; {summary.seconds:.1f} s; reports and gradebook in {out}/"


def cmd_check(args: argparse.Namespace) -> int:
    path = submission_file(args.submission)  # a file, or a submission folder's answers file
    spec = load_spec(args.spec)
    report = grade_safely(spec, load_submission(path))
    if report.problem:  # nothing to show part by part: say why, in one line
        print(terminal.clean(report.problem, 500), file=sys.stderr)
        return EXIT_INPUT
    data = report.to_json()
    if args.format == "json":
        sys.stdout.write(RENDERERS["json"].from_json(data))
    else:
        sys.stdout.write(terminal.student_view(data))
    return _fail_under([(report.student, report.score, report.max_score)], args.fail_under)


def cmd_solve(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)
    if spec.randomized and args.student is None:
        raise UsageError(f"{args.spec} gives each student their own numbers: name one with --student")
    variant = spec.variant(args.student or "")
    answers = {p.id: KINDS[p.kind].show(p.config, variant.references[p.id]) for p in variant.parts}
    if args.format == "json":
        out: dict = {"student": args.student, "values": {k: plain(v) for k, v in variant.values.items()},
                     "answers": answers} if spec.randomized else answers
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        if spec.randomized:
            print(f"variant of {args.student}: " + "; ".join(f"{k} = {show(v)}" for k, v in variant.values.items()))
        for pid, value in answers.items():
            print(f"{pid}: {json.dumps(value, ensure_ascii=False)}")
    return EXIT_OK


def cmd_handout(args: argparse.Namespace) -> int:
    from .handout import handout, render

    spec = load_spec(args.spec)
    if (args.student is None) == (args.roster is None):
        raise UsageError("give --student S (printed) or --roster ROSTER.csv --out DIR (one file per student)")
    if args.student is not None:
        sys.stdout.write(render(handout(spec, args.student), args.format))
        return EXIT_OK
    if not args.out:
        raise UsageError("--roster needs --out DIR for the handouts")
    out = _out_dir(args.out)
    roster = read_roster(args.roster)
    for enrolled in roster:
        sheet = render(handout(spec, enrolled.student, enrolled.name), args.format)
        write_atomic(out, f"{safe_name(enrolled.student)}.{args.format}", sheet)
    print(f"{len(roster)} handout(s) written in {out}/")
    return EXIT_OK


def cmd_suspicious(args: argparse.Namespace) -> int:
    from .suspicious import find, varied_numeric_parts

    out = Path(args.out)
    with _open_gradebook(out) as book:
        assignment = _assignment(book, args.assignment)
        spec_path = args.spec or assignment["spec_path"]
        spec = load_spec(spec_path)
        if spec.digest != assignment["spec_hash"]:
            raise UsageError(f"{spec_path} has changed since {out} was graded (a new salt gives everyone new "
                             f"numbers): grade the class again with it, or pass the spec it was graded with (--spec)")
        if spec.assignment.id != assignment["id"]:
            raise UsageError(f"{spec_path} is assignment {quote(spec.assignment.id)}, not {quote(assignment['id'])}")
        if not varied_numeric_parts(spec):
            raise UsageError(f"{spec_path}: no numeric part varies per student, so there is nothing to compare")
        reports = [row.report for row in book.rows(assignment["id"])]
    findings = find(spec, reports, args.threshold, args.samples)
    shown = findings if args.all else [f for f in findings if f.flagged]
    if args.format == "json":
        print(json.dumps([f.to_json() for f in shown], indent=2, ensure_ascii=False))
        return EXIT_OK
    for f in shown:
        parts = ", ".join(m.part for m in f.matches)
        mark = "FLAG" if f.flagged else "    "
        print(f"{mark} {terminal.clean(f.student, 60)}: wrong for their own numbers, right for "
              f"{terminal.clean(f.other, 60)}'s on {parts}; chance of such a pair about {_odds(f.p)}, "
              f"expected by chance in this class {f.expected:.2g}")
    flagged = sum(f.flagged for f in findings)
    print(f"{flagged} pair(s) flagged of {len(findings)} with a matching answer; {len(reports)} students "
          f"compared on {', '.join(varied_numeric_parts(spec))}")
    return EXIT_OK


def _odds(p: float) -> str:
    return "1 in %.3g" % (1 / p) if p > 0 else "0"


def cmd_override(args: argparse.Namespace) -> int:
    out = Path(args.out)
    with _open_gradebook(out) as book:
        assignment = _assignment(book, args.assignment)
        other = 0
        if args.import_csv:
            sheet = read_override_csv(regular_file(args.import_csv), assignment,
                                      [a["id"] for a in book.assignments()])
            entries, other = sheet.entries, sheet.other_assignments
        elif args.student and args.part and args.score is not None:
            entries = [OverrideEntry(args.student, args.part, args.score, comment_text(args.comment or ""),
                                     "command line")]
        else:
            raise UsageError("give --student, --part and --score, or --import FILE.csv")
        check_overrides(book, assignment, entries)
        students = {entry.student for entry in entries}
        check_report_files(book, out, assignment["id"], students)
        book.set_overrides(assignment["id"], [(e.student, e.part, e.score, e.comment) for e in entries])
        rewritten = rewrite_reports(book, out, assignment["id"], students)
    print(f"{len(entries)} override(s) recorded for {len(students)} student(s); {rewritten} report file(s) rewritten"
          + (f"; {other} row(s) for other assignments left as they are" if other else ""))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from .export import EXPORTERS, Options, export, export_folder
    from .export.options import awaiting
    from .export.sheets import CANVAS_TOTALS, canvas_column

    out = Path(args.out)
    formats = _formats(args.format, EXPORTERS)
    if args.known_only and not args.roster:
        raise UsageError("--known-only needs --roster ROSTER.csv (the ids your LMS knows)")
    roster = {e.student for e in read_roster(regular_file(args.roster))} if args.roster else None
    sheets = [f for f in formats if f in ("canvas", "moodle", "csv")]
    with _open_gradebook(out) as book:
        assignment = _assignment(book, args.assignment)
        options = Options(canvas_assignment_id=args.canvas_assignment_id, junit=args.junit_family,
                          only=frozenset(roster) if args.known_only else None, unreviewed=args.unreviewed)
        written = export(book, assignment, export_folder(out), formats, options)
        waiting = sum(1 for row in book.rows(assignment["id"]) if awaiting(row.report))
        if waiting and any(f in formats for f in ("canvas", "moodle", "csv", "gradescope")):
            print(f"export: {waiting} student(s) have free-text parts no instructor has scored: " + (
                "their totals are held back (set them with grader override, or export with --unreviewed flag)"
                if args.unreviewed == "hold" else "their totals hold the rubric's provisional scores, flagged"),
                file=sys.stderr)
        for line in _export_notes(book, assignment, formats, roster, options):  # once the files are there
            print(f"export: {line}", file=sys.stderr)
        if "canvas" in formats and any(word in canvas_column(assignment, options) for word in CANVAS_TOTALS):
            print(f"export: the Canvas column {quote(canvas_column(assignment, options))} holds a name Canvas keeps for "
                  "its own totals, so Canvas will skip it: rename the assignment", file=sys.stderr)
    print(f"{len(written)} file(s) written in {out / 'export'}/" + (
        f"; {', '.join(sheets)} without the students the roster does not know" if args.known_only and sheets else ""))
    return EXIT_OK


def _export_notes(book: Gradebook, assignment: dict, formats: list[str], roster: set[str] | None,
                  options) -> list[str]:
    """What an LMS import would stumble on: ids its roster does not know (one aborts Moodle's import)."""
    if roster is None:
        if "moodle" in formats:
            return ["Moodle stops the whole import at a student id it does not know; pass --roster ROSTER.csv "
                    "(the ID numbers of the course's participants) to check the ids first"]
        return []
    unknown = sorted(book.students(assignment["id"]) - roster)
    if not unknown:
        return []
    shown = ", ".join(terminal.clean(s, 40) for s in unknown[:20]) + (f" and {len(unknown) - 20} more"
                                                                     if len(unknown) > 20 else "")
    then = "left out of the grade sheets" if options.only is not None else \
        "Moodle stops a whole import at one such id; --known-only leaves them out"
    return [f"{len(unknown)} student id(s) the roster does not know: {shown} ({then})"]


def cmd_stats(args: argparse.Namespace) -> int:
    from .export import export_folder, pages
    from .stats import class_stats, text_report

    out = Path(args.out)
    with _open_gradebook(out) as book:
        assignment = _assignment(book, args.assignment)
        sys.stdout.write(text_report(class_stats(book, assignment)))
        [page] = pages.class_report(book, assignment, export_folder(out))
    print(f"class report: {page}")
    return EXIT_OK


def _open_gradebook(out: Path) -> Gradebook:
    if not (out / "gradebook.sqlite").is_file():
        raise UsageError(f"{out}: no gradebook here (grade a class with --out {out} first)")
    return Gradebook(out / "gradebook.sqlite")


def _assignment(book: Gradebook, wanted: str | None) -> dict:
    try:
        return book.assignment(wanted)
    except LookupError as exc:
        raise UsageError(str(exc)) from None


def cmd_schema(args: argparse.Namespace) -> int:
    """The JSON Schemas, for editors: printed, or written into a folder with the modeline that uses them."""
    from .schemas import SCHEMAS, render

    if args.write is None:
        sys.stdout.write(render(f"{args.name}.schema.json"))
        return EXIT_OK
    folder = ensure_folder(Path(args.write), parents=True)
    for name in SCHEMAS:
        print(write_atomic(folder, name, render(name)))
    where = (folder / "problem.schema.json").resolve()
    print(f"put this first line in a problem spec so a YAML editor checks it:\n"
          f"# yaml-language-server: $schema={where}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from .service.course import ServiceLimits
    from .service.server import Settings, instructor_token, serve

    limits = ServiceLimits(request_bytes=args.max_request_kb * 1024, answer_chars=args.max_answer_chars,
                           checks_per_minute=args.checks_per_minute,
                           grading_seconds_per_minute=args.grading_seconds_per_minute,
                           part_seconds=args.part_seconds, queue=args.max_queue)
    token = instructor_token(args.instructor_token_file)
    if token is None:
        print("grader: no instructor token (GRADER_INSTRUCTOR_TOKEN or --instructor-token-file): the instructor's "
              "endpoints answer 403", file=sys.stderr)
    serve(Settings(args.problems, str(regular_file(args.roster)), args.data, limits), token, args.host, args.port,
          args.workers)
    return EXIT_OK


def cmd_tokens(args: argparse.Namespace) -> int:
    import csv

    from .service.store import Store

    roster = [e.student for e in read_roster(regular_file(args.roster))]
    if args.rotate is not None and args.rotate not in roster:
        raise UsageError(f"{quote(args.rotate)} is not in {args.roster}")
    data = ensure_folder(Path(args.data), parents=True)
    store = Store(data)
    issued = store.issue_tokens(roster, rotate=args.rotate)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["student", "token"])
    writer.writerows(issued)
    kept = len(roster) - len(issued) if args.rotate is None else 0
    print(f"{len(issued)} token(s) issued" + (f"; {kept} student(s) keep the token they have (--rotate STUDENT "
                                              "replaces one)" if kept else "") +
          ". Only their hashes are kept: this is the one time they are shown.", file=sys.stderr)
    return EXIT_OK


def cmd_solvers(args: argparse.Namespace) -> int:
    from .solvers import SOLVERS

    for name in sorted(SOLVERS):
        print(SOLVERS[name].describe())
    return EXIT_OK


# --- helpers ----------------------------------------------------------------------------------

def _out_dir(raw: str) -> Path:
    return ensure_folder(Path(raw), parents=True)


def _formats(raw: str, choices: Iterable[str] = RENDERERS) -> list[str]:
    """``--format a,b``: the names in order, each one of ``choices``."""
    choices = list(choices)
    formats = [f.strip() for f in raw.split(",") if f.strip()]
    unknown = [f for f in formats if f not in choices]
    if unknown or not formats:
        shown = ", ".join(unknown) if unknown else repr(raw)
        raise UsageError(f"unknown --format {shown}; choose from {', '.join(choices)}")
    return formats


def _fail_under(scores: list[tuple[str, float, float]], threshold: float | None) -> int:
    """Exit 1 if any (student, score, max) is below ``threshold`` percent."""
    if threshold is None:
        return EXIT_OK
    low = [(s, score, top) for s, score, top in scores if top and 100 * score / top < threshold - 1e-9]
    for student, score, top in low[:50]:
        print(f"{terminal.clean(student, 60)}: {100 * score / top:.1f}% is below --fail-under {threshold:g}%",
              file=sys.stderr)
    if len(low) > 50:
        print(f"... and {len(low) - 50} more below {threshold:g}%", file=sys.stderr)
    return EXIT_FAIL if low else EXIT_OK


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{quote(text)} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _student(text: str) -> str:
    """A student id as the grader reads ids everywhere (Persian digits as ASCII...); never empty."""
    sid = student_id(text)
    if not sid:
        raise argparse.ArgumentTypeError("a student id cannot be empty")
    return sid


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return port


def _positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{quote(text)} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError("must be a number above 0")
    return value


def _percent(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{quote(text)} is not a percentage") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError("a percentage from 0 to 100")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits with status 2 and one line (it already does; keep it short)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_INPUT, f"{self.prog}: {message} (see {self.prog.split()[0]} --help)\n")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's own default must not reset a --debug given before the subcommand
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks for internal errors")
    common.add_argument("--no-sandbox", action="store_true", default=argparse.SUPPRESS,
                        help="run students' code (code parts) without bubblewrap, as this user: only for code you "
                             "trust, or where bubblewrap cannot run; warns on every run")
    parser = _Parser(prog="grader", parents=[common],
                     description="Grade homework answers against reference numpy solvers, with feedback that teaches.")
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    parser.set_defaults(run=lambda args: (parser.print_help(), EXIT_INPUT)[1])
    sub = parser.add_subparsers(title="commands", parser_class=_Parser)

    p = sub.add_parser("validate", parents=[common], help="check problem specs; --selftest grades their own answers")
    p.add_argument("specs", nargs="+", metavar="SPEC")
    p.add_argument("--selftest", action="store_true",
                   help="grade each part's reference answer (must score full marks) and listed mistakes "
                        "(each must get its own diagnosis)")
    p.add_argument("--students", type=_positive, default=200, metavar="N",
                   help="randomized specs: build (and with --selftest, self-test) the variants of N made-up "
                        "students (default 200)")
    p.add_argument("--roster", metavar="ROSTER.csv", help="randomized specs: self-test every rostered student's variant")
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("grade", parents=[common], help="grade submissions; print a table, write reports")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("paths", nargs="+", metavar="SUBMISSION_OR_DIR")
    p.add_argument("--out", metavar="DIR", default="reports",
                   help="the gradebook (gradebook.sqlite) and one report per student per format go here "
                        "(default: reports)")
    p.add_argument("--jobs", type=_positive, metavar="N", help="processes grading in parallel (default: every core)")
    p.add_argument("--regrade", action="store_true", help="grade again even submissions that have not changed")
    p.add_argument("--format", default="json,md", help=f"report formats, comma-separated ({', '.join(RENDERERS)}); "
                                                       "default json,md")
    p.add_argument("--fail-under", type=_percent, metavar="PERCENT", help="exit 1 if any score is below PERCENT")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors (no progress bar, no table)")
    p.add_argument("--cluster", metavar="ADDRESS", help="grade on a running Dask scheduler's workers "
                                                         "(tcp://host:8786; see docs/code-parts.md)")
    p.set_defaults(run=cmd_grade)

    p = sub.add_parser("check", parents=[common], help="a student's self-check: feedback, never the answers")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("submission", metavar="SUBMISSION", help="a submission file, or a submission folder (answers.yaml "
                   "and the files it names)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--fail-under", type=_percent, metavar="PERCENT", help="exit 1 if the score is below PERCENT")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("solve", parents=[common], help="the instructor's view: every part's reference answer")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--student", type=_student, help="randomized specs: whose variant (their numbers and references)")
    p.set_defaults(run=cmd_solve)

    p = sub.add_parser("handout", parents=[common], help="a student's problem set with their own numbers")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--student", type=_student, help="print this student's handout")
    p.add_argument("--roster", metavar="ROSTER.csv", help="one handout per student (columns student[, name])")
    p.add_argument("--out", metavar="DIR", help="where --roster writes the handouts")
    p.add_argument("--format", choices=["md", "html"], default="md")
    p.set_defaults(run=cmd_handout)

    p = sub.add_parser("suspicious", parents=[common],
                       help="randomized specs: wrong answers that are right for another student's numbers")
    p.add_argument("out", metavar="OUT", help="the directory a class was graded into (--out)")
    p.add_argument("--spec", help="the spec (default: the one the class was graded with)")
    p.add_argument("--threshold", type=_positive_number, default=0.01, metavar="E",
                   help="flag a pair when fewer than E such pairs are expected by chance in the class (default 0.01)")
    p.add_argument("--all", action="store_true", help="list every matching pair, flagged or not")
    p.add_argument("--samples", type=_positive, default=2000, metavar="N",
                   help="made-up students whose variants show what chance looks like (default 2000; more finds "
                        "more copies and takes longer)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--assignment", help="which assignment, if the gradebook holds several")
    p.set_defaults(run=cmd_suspicious)

    p = sub.add_parser("override", parents=[common],
                       help="an instructor's score and comment for a student's part (survives regrading)")
    p.add_argument("out", metavar="OUT", help="the directory a class was graded into (--out)")
    p.add_argument("--student", type=_student, help="student id")
    p.add_argument("--part", help="part id")
    p.add_argument("--score", type=float, help="the score to give (points, not percent)")
    p.add_argument("--comment", help="shown to the student with the score")
    p.add_argument("--import", dest="import_csv", metavar="FILE.csv",
                   help="many overrides from a CSV with columns student, part, score, comment")
    p.add_argument("--assignment", help="which assignment, if the gradebook holds several")
    p.set_defaults(run=cmd_override)

    p = sub.add_parser("export", parents=[common], help="gradebook exports for LMSs and CI, and feedback pages")
    p.add_argument("out", metavar="OUT", help="the directory a class was graded into (--out)")
    p.add_argument("--format", default="csv", help="comma-separated: canvas, moodle, csv, gradescope, junit, md, html, "
                                                   "stats (default csv); files go to OUT/export/")
    p.add_argument("--canvas-assignment-id", type=_positive, metavar="N",
                   help="Canvas's id of the assignment (the number in its URL): the column is then 'Title (N)', "
                        "which Canvas fills in; without it, Canvas matches the exact title")
    p.add_argument("--roster", metavar="ROSTER.csv", help="the ids the LMS knows: ids it does not know are listed")
    p.add_argument("--known-only", action="store_true",
                   help="leave students the roster does not know out of the grade sheets (canvas, moodle, csv)")
    p.add_argument("--unreviewed", choices=["hold", "flag"], default="hold",
                   help="a total with free text no instructor has scored: hold (default: left empty in the grade "
                        "sheets, the part 0 in Gradescope) or flag (sent, with the parts awaiting review named)")
    p.add_argument("--junit-family", choices=["ci", "strict"], default="ci",
                   help="ci (default): file and properties on each testcase, read by GitLab and Jenkins' JUnit "
                        "plugin; strict: only what the xUnit plugin's and pytest's JUnit schemas allow")
    p.add_argument("--assignment", help="which assignment, if the gradebook holds several")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("stats", parents=[common], help="how each question went; writes OUT/export/class-report.html")
    p.add_argument("out", metavar="OUT", help="the directory a class was graded into (--out)")
    p.add_argument("--assignment", help="which assignment, if the gradebook holds several")
    p.set_defaults(run=cmd_stats)

    p = sub.add_parser("schema", parents=[common], help="the JSON Schemas of specs, submissions and reports, for editors")
    p.add_argument("name", nargs="?", choices=["problem", "submission", "report"], default="problem",
                   help="which schema to print (default: problem)")
    p.add_argument("--write", metavar="DIR", help="write all three into DIR and print the modeline that uses them")
    p.set_defaults(run=cmd_schema)

    p = sub.add_parser("serve", parents=[common],
                       help="the checking service: students see their questions, check and submit over HTTP")
    p.add_argument("problems", metavar="PROBLEMS_DIR", help="a folder of specs (or one spec); they stay on the server")
    p.add_argument("--roster", metavar="ROSTER.csv", required=True, help="the students (tokens from 'grader tokens')")
    p.add_argument("--data", metavar="DIR", default="grader-data",
                   help="the gradebook and every submission as received (default: grader-data)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only; "
                                                       "put a TLS reverse proxy in front)")
    p.add_argument("--port", type=_port, default=8000)
    p.add_argument("--workers", type=_positive, default=1, metavar="N", help="worker processes (default 1)")
    p.add_argument("--instructor-token-file", metavar="FILE",
                   help="the instructor's token (else $GRADER_INSTRUCTOR_TOKEN; neither: no instructor endpoints)")
    p.add_argument("--max-request-kb", type=_positive, default=256, metavar="KB", help="largest request (default 256)")
    p.add_argument("--max-answer-chars", type=_positive, default=20_000, metavar="N",
                   help="longest answer to one part (default 20000)")
    p.add_argument("--checks-per-minute", type=_positive, default=20, metavar="N",
                   help="checks and submissions a student may make per minute (default 20)")
    p.add_argument("--grading-seconds-per-minute", type=_positive_number, default=15.0, metavar="S",
                   help="CPU seconds of grading a student's requests may use per minute (default 15)")
    p.add_argument("--max-queue", type=_positive, default=64, metavar="N",
                   help="requests waiting to be graded, per worker, before the next is asked to retry (default 64)")
    p.add_argument("--part-seconds", type=_positive_number, default=1.0, metavar="S",
                   help="time to check one answer (default 1)")
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("tokens", parents=[common],
                       help="the service's student tokens: printed once as CSV (student,token), kept as hashes")
    p.add_argument("roster", metavar="ROSTER.csv")
    p.add_argument("--data", metavar="DIR", default="grader-data", help="the service's data folder (default grader-data)")
    p.add_argument("--rotate", type=_student, metavar="STUDENT", help="replace this student's token (a lost or leaked one)")
    p.set_defaults(run=cmd_tokens)

    p = sub.add_parser("solvers", parents=[common], help="list the reference solvers, their params and mistakes")
    p.set_defaults(run=cmd_solvers)
    return parser
