"""Formats CI systems and autograder hosts display: JUnit XML, Gradescope's results.json, and a
Markdown summary for a job's summary page.

JUnit: one testsuite per student, one testcase per part, named by the part alone (its id and
title, never its score), so a CI system that tracks a test by name across runs sees the same
test when a score changes. A part short of full marks is a ``failure`` whose message is the
feedback, the grader's own failure an ``error``, free text awaiting review ``skipped``. Each
part's score, points and status are suite ``properties`` (``q1a.score``...), which every schema
allows. The default family (``ci``) also puts ``file`` and the same properties on each
testcase, where GitLab and Jenkins' JUnit plugin read them; ``strict`` leaves them out, for
Jenkins' xUnit plugin, whose schema rejects them (docs/formats.md).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import XMLGenerator

from ..files import atomic_writer, writable_folder, write_atomic
from ..gradebook import Gradebook
from ..stats import class_stats, clip, describe_diagnosis, left_out
from .options import Options, awaiting
from .sheets import number

_GOOD = {"correct"}
_SKIPPED = {"needs_review"}
_ERROR = {"error"}
SUMMARY_CHARS = 300  # feedback shown per part in a job summary


def test_name(part: dict[str, Any], titles: dict[str, str]) -> str:
    """A part's test name: its id and title (of the part, or of its question), and nothing that changes
    with a student's score."""
    title = titles.get(part["id"], "")
    return f"{part['id']}: {title}" if title else part["id"]


def junit(book: Gradebook, assignment: dict[str, Any], directory: Path, options: Options) -> list[Path]:
    titles = {p["id"]: p.get("title", "") for p in assignment["parts"]}
    tests = failures = errors = 0
    with book.snapshot(), atomic_writer(directory, "junit.xml") as (handle, target):
        for row in book.rows(assignment["id"]):  # the head counts every suite: the class is read twice, not held
            parts = row.report["parts"]
            tests += len(parts)
            failures += sum(_failed(p) for p in parts)
            errors += sum(p["status"] in _ERROR for p in parts)
        totals = {"tests": str(tests), "failures": str(failures), "errors": str(errors), "time": "0"}
        xml = _SafeXML(handle, encoding="utf-8", short_empty_elements=True)
        xml.startDocument()
        xml.startElement("testsuites", {"name": f"grader: {assignment['title']}", **totals})
        for row in book.rows(assignment["id"]):
            _suite(xml, assignment, titles, row.student, row.source, row.report, options.junit == "strict")
        xml.endElement("testsuites")
        xml.endDocument()
        handle.write("\n")
    return [target]


class _SafeXML(XMLGenerator):
    """XMLGenerator, but characters XML 1.0 cannot hold (control characters other than tab and line breaks,
    lone surrogates, U+FFFE and U+FFFF) become U+FFFD: a file name or a YAML escape can carry them, and one
    would make the whole report unreadable to every CI system."""

    def startElement(self, name, attrs):  # noqa: N802 - the SAX method's name
        super().startElement(name, {k: xml_text(v) for k, v in attrs.items()})

    def characters(self, content):
        super().characters(xml_text(content))


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def _failed(part: dict[str, Any]) -> bool:
    return part["status"] not in _GOOD | _SKIPPED | _ERROR


def _suite(xml: XMLGenerator, assignment: dict[str, Any], titles: dict[str, str], student: str, source: str,
           report: dict[str, Any], strict: bool) -> None:
    parts = report["parts"]
    xml.startElement("testsuite", {"name": f"{assignment['id']}: {student}", "tests": str(len(parts)),
                                   "failures": str(sum(_failed(p) for p in parts)),
                                   "errors": str(sum(p["status"] in _ERROR for p in parts)),
                                   "skipped": str(sum(p["status"] in _SKIPPED for p in parts)),
                                   "time": "0", "file": source})
    props = [("student", student), ("score", number(report["score"])), ("max_score", number(report["max_score"]))]
    for p in parts:
        props += [(f"{p['id']}.{name}", value) for name, value in _part_properties(p)]
    _properties(xml, props)
    for p in parts:
        attributes = {"classname": f"{assignment['id']}.{student}", "name": test_name(p, titles), "time": "0"}
        if not strict:
            attributes["file"] = source
        xml.startElement("testcase", attributes)
        if not strict:
            _properties(xml, _part_properties(p))
        body = "\n".join([p["feedback"], *[f"- {d}" for d in p.get("details", [])]] +
                         ([f"instructor: {p['override'].get('comment', '')}"] if p.get("override") else []))
        outcome = ("skipped" if p["status"] in _SKIPPED else "error" if p["status"] in _ERROR
                   else "failure" if _failed(p) else None)
        if outcome:
            xml.startElement(outcome, {"type": p.get("diagnosis") or p["status"], "message": p["feedback"]})
            xml.characters(body)
            xml.endElement(outcome)
        xml.endElement("testcase")
    xml.endElement("testsuite")


def _part_properties(part: dict[str, Any]) -> list[tuple[str, str]]:
    return [("score", number(part["score"])), ("max_score", number(part["max_score"])), ("status", part["status"])]


def _properties(xml: XMLGenerator, props: list[tuple[str, str]]) -> None:
    xml.startElement("properties", {})
    for name, value in props:
        xml.startElement("property", {"name": name, "value": value})
        xml.endElement("property")
    xml.endElement("properties")


def gradescope(book: Gradebook, assignment: dict[str, Any], directory: Path, options: Options) -> list[Path]:
    """One ``results.json`` per submission, in ``gradescope/<report name>/``, as Gradescope's
    autograder specification describes (a test per part)."""
    root = writable_folder(directory / "gradescope")
    written = []
    for row in book.rows(assignment["id"]):
        folder = writable_folder(root / row.stem)
        written.append(write_atomic(folder, "results.json", json.dumps(results_json(row.report, options),
                                                                         ensure_ascii=False,
                                                                         indent=2) + "\n"))
    return written


def results_json(report: dict[str, Any], options: Options | None = None) -> dict[str, Any]:
    """Gradescope's results: a test per part. A free-text part awaiting review scores 0 here, and says so,
    unless the export was asked to send provisional scores flagged (``--unreviewed flag``)."""
    hold = (options or Options()).unreviewed == "hold"
    waiting = awaiting(report)
    tests = []
    for position, p in enumerate(report["parts"], start=1):
        lines = [p["feedback"], *[f"- {d}" for d in p.get("details", [])]]
        if p["id"] in waiting:
            lines.insert(0, "Awaiting review: an instructor will score this part." if hold else
                         "Provisional: an instructor will confirm this score.")
            p = {**p, "score": 0.0} if hold else p
        if p.get("override"):
            lines.append(f"Instructor: {p['override'].get('comment') or 'score set by hand'}")
        if p.get("reference") is not None:
            lines.append(f"Reference answer: {json.dumps(p['reference'], ensure_ascii=False)}")
        tests.append({
            "name": f"{p['id']} ({p['kind']})", "number": str(position), "score": p["score"],
            "max_score": p["max_score"], "status": "passed" if p["status"] == "correct" else "failed",
            "output": "\n".join(lines), "output_format": "text", "tags": [p["status"]] + (
                [p["diagnosis"]] if p.get("diagnosis") else []), "visibility": "visible",
        })
    score = round(sum(t["score"] for t in tests), 6) if hold and waiting else report["score"]
    output = f"{number(score)} / {number(report['max_score'])} points." + (
        f" {', '.join(waiting)} awaiting an instructor's review." if waiting else "")
    if report.get("problem"):
        output += f" This submission could not be read: {report['problem']}"
    return {"score": score, "output": output, "output_format": "text", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}


def markdown_summary(book: Gradebook, assignment: dict[str, Any], directory: Path, options: Options) -> list[Path]:
    """A page for a CI job summary ($GITHUB_STEP_SUMMARY): scores, then how each part went."""
    from ..report.markdown import text

    stats = class_stats(book, assignment)
    lines = [f"## {text(assignment['title'])}", ""]
    if stats.students + stats.unreadable == 1:  # one student: their parts, read or not
        row = next(book.rows(assignment["id"]))
        lines += [f"**{text(row.student)}: {number(row.report['score'])} / {number(row.report['max_score'])}**", "",
                  "| Part | Score | Status | Feedback |", "|---|---:|---|---|"]
        for p in row.report["parts"]:
            lines.append(f"| {text(p['id'])} | {number(p['score'])} / {number(p['max_score'])} | "
                         f"{p['status'].replace('_', ' ')} | {text(clip(p['feedback'], SUMMARY_CHARS))} |")
    else:
        lines += [f"{stats.students} students · mean **{stats.mean:.2f}** · median {stats.median:.2f} · "
                  f"sd {stats.stdev:.2f} (of {number(stats.max_score)})"
                  + (f" · {left_out(stats.unreadable)}" if stats.unreadable else ""), "",
                  "| Part | Points | Mean | Facility | Discrimination | Most frequent |",
                  "|---|---:|---:|---:|---:|---|"]
        for p in stats.parts:
            disc = "–" if p.discrimination is None else f"{p.discrimination:+.2f}"
            top = "; ".join(f"{share:.0%} {text(describe_diagnosis(d))}" for d, _, share in p.diagnoses[:2])
            lines.append(f"| {text(p.id)} | {number(p.points)} | {p.mean:.2f} | {p.facility:.0%} | {disc} | {top} |")
    return [write_atomic(directory, "summary.md", "\n".join(lines) + "\n")]


