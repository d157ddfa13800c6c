"""A student's report as Markdown: fit for a repository, a CI job summary or an LMS comment.

Student text is escaped: HTML special characters become entities and Markdown punctuation is
backslash-escaped, so an answer cannot inject markup into whatever renders the page.
"""
from __future__ import annotations

import json
import re
from typing import Any


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}#|!~])")
# explicit direction overrides could make a report display text other than what was written;
# Persian and Arabic text needs none of them (Unicode's bidi algorithm orders it on its own)
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)], "\ufffd")


def text(value: str) -> str:
    """Escape text for Markdown (inline): entities for HTML, backslashes for Markdown punctuation."""
    value = value.translate(_BIDI_CONTROLS).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", value).replace("\r", " ").replace("\n", " ")


def code(value: Any) -> str:
    """A value as inline code, fenced with enough backticks that its own cannot close the span."""
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    shown = shown.translate(_BIDI_CONTROLS).replace("\r", " ").replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", shown)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") or not shown.strip() else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def _score(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def render(report: dict[str, Any]) -> str:
    """A student's report from its JSON form."""
    who = text(report["student"]) + (f" ({text(report['name'])})" if report.get("name") else "")
    lines = [f"# {text(report.get('title', ''))}: report for {who}", ""]
    counts = {k: v for k, v in report.get("counts", {}).items() if v}
    summary = " · ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
    lines += [f"**Score: {_score(report['score'])} / {_score(report['max_score'])}** · {summary}", ""]
    if report.get("problem"):
        lines += [f"> **This submission could not be read:** {text(report['problem'])}", ""]
    for warning in report.get("warnings", []):
        lines += [f"> Note: {text(warning)}", ""]
    lines += ["| Part | Kind | Score | Status | Diagnosis |", "|---|---|---:|---|---|"]
    for p in report["parts"]:
        lines.append(f"| {text(p['id'])} | {p['kind']} | {_score(p['score'])} / {_score(p['max_score'])} | "
                     f"{p['status'].replace('_', ' ')} | {text(p.get('diagnosis') or '')} |")
    lines.append("")
    for p in report["parts"]:
        lines += _part(p)
    return "\n".join(lines).rstrip() + "\n"


def _part(p: dict[str, Any]) -> list[str]:
    out = [f"## {text(p['id'])} · {_score(p['score'])}/{_score(p['max_score'])} · {p['status'].replace('_', ' ')}", ""]
    if p.get("answer") is not None:
        out += [f"**Your answer:** {code(p['answer'])}", ""]
    if p.get("feedback"):
        out += [text(p["feedback"]), ""]
    out += [f"- {text(d)}" for d in p.get("details", [])]
    if p.get("details"):
        out.append("")
    if p.get("override"):
        comment = p["override"].get("comment")
        out += [f"**Instructor:** {_score(p['override']['score'])}/{_score(p['max_score'])}"
                + (f" · {text(comment)}" if comment else ""), ""]
    if p.get("reference") is not None:
        out += [f"**Reference answer:** {code(p['reference'])}", ""]
    return out
