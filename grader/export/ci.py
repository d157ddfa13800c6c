"""Formats CI systems and autograder hosts display: JUnit XML, Gradescope's results.json, and a
Markdown summary for a job's summary page.

JUnit follows the schema pytest's own reports are checked against (junit-10.xsd, the
Jenkins xunit plugin's): one testsuite per student, one testcase per part; a part short of
full marks is a ``failure`` whose message is the feedback; free text awaiting review is
``skipped``; scores are suite ``properties`` (the schema allows properties on suites only).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import XMLGenerator

from ..files import atomic_writer, writable_folder, write_atomic
from ..gradebook import Gradebook
from ..stats import class_stats, describe_diagnosis

_GOOD = {"correct"}
_SKIPPED = {"needs_review"}


def junit(book: Gradebook, assignment: dict[str, Any], directory: Path) -> list[Path]:
    rows = list(book.rows(assignment["id"]))
    tests = sum(len(r.report["parts"]) for r in rows)
    failures = sum(1 for r in rows for p in r.report["parts"] if p["status"] not in _GOOD | _SKIPPED)
    with atomic_writer(directory, "junit.xml") as (handle, target):
        xml = XMLGenerator(handle, encoding="utf-8", short_empty_elements=True)
        xml.startDocument()
        xml.startElement("testsuites", {"name": f"grader: {assignment['title']}", "tests": str(tests),
                                        "failures": str(failures), "errors": "0", "time": "0"})
        for row in rows:
            _suite(xml, assignment, row.student, row.source, row.report)
        xml.endElement("testsuites")
        xml.endDocument()
        handle.write("\n")
    return [target]


def _suite(xml: XMLGenerator, assignment: dict[str, Any], student: str, source: str, report: dict[str, Any]) -> None:
    parts = report["parts"]
    failed = [p for p in parts if p["status"] not in _GOOD | _SKIPPED]
    skipped = [p for p in parts if p["status"] in _SKIPPED]
    xml.startElement("testsuite", {"name": f"{assignment['id']}: {student}", "tests": str(len(parts)),
                                   "failures": str(len(failed)), "errors": "0", "skipped": str(len(skipped)),
                                   "time": "0", "file": source})
    xml.startElement("properties", {})
    props = [("student", student), ("score", _num(report["score"])), ("max_score", _num(report["max_score"]))]
    props += [(f"{p['id']}.score", _num(p["score"])) for p in parts]
    props += [(f"{p['id']}.max_score", _num(p["max_score"])) for p in parts]
    for name, value in props:
        xml.startElement("property", {"name": name, "value": value})
        xml.endElement("property")
    xml.endElement("properties")
    for p in parts:
        name = f"{p['id']} ({p['kind']}, {_num(p['score'])}/{_num(p['max_score'])})"
        xml.startElement("testcase", {"classname": f"{assignment['id']}.{student}", "name": name, "time": "0"})
        body = "\n".join([p["feedback"], *[f"- {d}" for d in p.get("details", [])]] +
                         ([f"instructor: {p['override'].get('comment', '')}"] if p.get("override") else []))
        if p["status"] in _SKIPPED:
            xml.startElement("skipped", {"type": p["status"], "message": p["feedback"]})
            xml.characters(body)
            xml.endElement("skipped")
        elif p["status"] not in _GOOD:
            kind = p.get("diagnosis") or p["status"]
            xml.startElement("failure", {"type": kind, "message": p["feedback"]})
            xml.characters(body)
            xml.endElement("failure")
        xml.endElement("testcase")
    xml.endElement("testsuite")


def gradescope(book: Gradebook, assignment: dict[str, Any], directory: Path) -> list[Path]:
    """One ``results.json`` per submission, in ``gradescope/<report name>/``, as Gradescope's
    autograder specification describes (a test per part)."""
    root = writable_folder(directory / "gradescope")
    written = []
    for row in book.rows(assignment["id"]):
        folder = writable_folder(root / row.stem)
        written.append(write_atomic(folder, "results.json", json.dumps(results_json(row.report), ensure_ascii=False,
                                                                         indent=2) + "\n"))
    return written


def results_json(report: dict[str, Any]) -> dict[str, Any]:
    tests = []
    for number, p in enumerate(report["parts"], start=1):
        lines = [p["feedback"], *[f"- {d}" for d in p.get("details", [])]]
        if p.get("override"):
            lines.append(f"Instructor: {p['override'].get('comment') or 'score set by hand'}")
        if p.get("reference") is not None:
            lines.append(f"Reference answer: {json.dumps(p['reference'], ensure_ascii=False)}")
        tests.append({
            "name": f"{p['id']} ({p['kind']})", "number": str(number), "score": p["score"],
            "max_score": p["max_score"], "status": "passed" if p["status"] == "correct" else "failed",
            "output": "\n".join(lines), "output_format": "text", "tags": [p["status"]] + (
                [p["diagnosis"]] if p.get("diagnosis") else []), "visibility": "visible",
        })
    output = f"{_num(report['score'])} / {_num(report['max_score'])} points."
    if report.get("problem"):
        output += f" This submission could not be read: {report['problem']}"
    return {"score": report["score"], "output": output, "output_format": "text", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}


def markdown_summary(book: Gradebook, assignment: dict[str, Any], directory: Path) -> list[Path]:
    """A page for a CI job summary ($GITHUB_STEP_SUMMARY): scores, then how each part went."""
    from ..report.markdown import text

    stats = class_stats(book, assignment)
    lines = [f"## {text(assignment['title'])}", ""]
    if stats.students == 1:
        row = next(book.rows(assignment["id"]))
        lines += [f"**{text(row.student)}: {_num(row.report['score'])} / {_num(row.report['max_score'])}**", "",
                  "| Part | Score | Status | Feedback |", "|---|---:|---|---|"]
        for p in row.report["parts"]:
            lines.append(f"| {text(p['id'])} | {_num(p['score'])} / {_num(p['max_score'])} | "
                         f"{p['status'].replace('_', ' ')} | {text(p['feedback'])[:300]} |")
    else:
        lines += [f"{stats.students} students · mean **{stats.mean:.2f}** · median {stats.median:.2f} · "
                  f"sd {stats.stdev:.2f} (of {_num(stats.max_score)})", "",
                  "| Part | Points | Mean | Facility | Discrimination | Most frequent |",
                  "|---|---:|---:|---:|---:|---|"]
        for p in stats.parts:
            disc = "–" if p.discrimination is None else f"{p.discrimination:+.2f}"
            top = "; ".join(f"{share:.0%} {text(describe_diagnosis(d))}" for d, _, share in p.diagnoses[:2])
            lines.append(f"| {text(p.id)} | {_num(p.points)} | {p.mean:.2f} | {p.facility:.0%} | {disc} | {top} |")
    return [write_atomic(directory, "summary.md", "\n".join(lines) + "\n")]


def _num(x: float) -> str:
    return f"{x:g}"
