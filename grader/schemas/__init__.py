"""JSON Schemas for problem specs, submissions and reports.

The problem schema is assembled from each kind's ``SCHEMA``, so adding a kind needs no edit
here. The ``.json`` files beside this module are the same schemas written out for editors
and other tools; ``python -m grader.schemas`` rewrites them and a test keeps them current.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

HERE = Path(__file__).parent
DRAFT = "https://json-schema.org/draft/2020-12/schema"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
STATUSES = ["correct", "partial", "incorrect", "invalid", "missing", "needs_review", "error"]


def problem_schema() -> dict[str, Any]:
    from ..kinds import KINDS
    from ..policy import SCHEMA as POLICY_SCHEMA
    from ..variants import RECIPE_SCHEMA

    common = {
        "id": {"type": "string", "pattern": ID_PATTERN, "description": "Part id, unique in the assignment (q1a)."},
        "kind": {"enum": list(KINDS), "description": "The answer kind: " + ", ".join(KINDS) + "."},
        "points": {"type": "number", "exclusiveMinimum": 0},
        "title": {"type": "string"},
        "prompt": {"type": "string", "description": "The question as students read it (Markdown)."},
        "release_answer": {"type": "boolean", "description": "Show the reference answer in student reports."},
    }
    branches = []
    for name, module in KINDS.items():
        then = {k: v for k, v in module.SCHEMA.items()}
        branches.append({"if": {"properties": {"kind": {"const": name}}, "required": ["kind"]}, "then": then})
    part = {
        "type": "object",
        "required": ["id", "kind", "points", "prompt"],
        "properties": common,
        "allOf": branches,
        "unevaluatedProperties": False,
    }
    group = {
        "type": "object",
        "required": ["id", "parts"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "title": {"type": "string"},
            "prompt": {"type": "string", "description": "The stem shared by the question's parts."},
            "points": {"type": "number", "exclusiveMinimum": 0, "description": "Optional: checked against the parts."},
            "parts": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/part"}},
        },
    }
    return {
        "$schema": DRAFT,
        "$id": "https://grader.example/schemas/problem.schema.json",
        "title": "grader problem set",
        "description": "An assignment: parts (optionally grouped into questions), each with a kind, points and "
                       "what the answer is.",
        "type": "object",
        "required": ["id", "title"],
        "additionalProperties": False,
        "properties": {
            "$schema": {"type": "string"},
            "id": {"type": "string", "pattern": ID_PATTERN, "description": "Assignment id; submissions name it."},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "total": {"type": "number", "exclusiveMinimum": 0, "description": "Optional: checked against the parts."},
            **POLICY_SCHEMA,
            "salt": {"type": ["string", "integer"],
                     "description": "Secret text that seeds every student's variant; a new salt reshuffles everyone."},
            "variables": {"type": "object", "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
                          "additionalProperties": RECIPE_SCHEMA,
                          "description": "Numbers drawn per student, used in parts as $name and {name} in text."},
            "questions": {"type": "array", "items": {"$ref": "#/$defs/group"}},
            "parts": {"type": "array", "items": {"$ref": "#/$defs/part"}},
        },
        "$defs": {"part": part, "group": group},
    }


def submission_schema() -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "$id": "https://grader.example/schemas/submission.schema.json",
        "title": "grader submission",
        "description": "One student's answers to one assignment, by part id.",
        "type": "object",
        "required": ["answers"],
        "properties": {
            "$schema": {"type": "string"},
            "assignment": {"type": "string", "description": "The assignment id this submission answers."},
            "student": {"type": ["string", "number"], "minLength": 1, "maxLength": 200,
                        "description": "Student id (Persian digits are read as ASCII)."},
            "name": {"type": "string"},
            "answers": {"type": "object", "propertyNames": {"maxLength": 100},
                        "description": "Part id -> answer, as the student wrote it."},
        },
    }


def report_schema() -> dict[str, Any]:
    """Every field a report has, and no others: a field added to the model without its place here fails the
    tests (every report they produce is checked against this), so readers of reports learn of it."""
    override = {
        "type": "object", "additionalProperties": False, "required": ["score", "comment", "automatic_score"],
        "description": "An instructor's score for this part, which replaces the automatic one (grader override).",
        "properties": {
            "score": {"type": "number", "minimum": 0}, "comment": {"type": "string"},
            "automatic_score": {"type": "number", "minimum": 0, "description": "What grading gave, kept beside."},
        },
    }
    part = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "kind", "score", "max_score", "status", "feedback", "diagnosis"],
        "properties": {
            "id": {"type": "string"}, "kind": {"type": "string"},
            "score": {"type": "number", "minimum": 0}, "max_score": {"type": "number", "minimum": 0},
            "status": {"enum": STATUSES},
            "feedback": {"type": "string"},
            "diagnosis": {"type": ["string", "null"],
                          "description": "A short code: shape, transpose, sign, scale, precision, mistake:<name>."},
            "answer": {"description": "The student's answer, as given."},
            "details": {"type": "array", "items": {"type": "string"}},
            "reference": {"description": "The reference answer, only when the spec releases it."},
            "override": override,
        },
    }
    return {
        "$schema": DRAFT,
        "$id": "https://grader.example/schemas/report.schema.json",
        "title": "grader report",
        "type": "object",
        "additionalProperties": False,
        "required": ["assignment", "student", "score", "max_score", "parts"],
        "properties": {
            "assignment": {"type": "string"}, "title": {"type": "string"},
            "student": {"type": "string"}, "name": {"type": ["string", "null"]},
            "source": {"type": "string"},
            "score": {"type": "number", "minimum": 0}, "max_score": {"type": "number", "minimum": 0},
            "problem": {"type": ["string", "null"], "description": "Why the submission could not be read, if so."},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "counts": {"type": "object", "propertyNames": {"enum": STATUSES},
                       "additionalProperties": {"type": "integer", "minimum": 0},
                       "description": "How many parts have each status."},
            "parts": {"type": "array", "items": part},
            "grader_version": {"type": "string"},
            "late": {"type": "object", "additionalProperties": False,
                     "required": ["days", "penalty_percent", "score_before_penalty"],
                     "description": "A submission to the service after the due date, and what that cost.",
                     "properties": {"days": {"type": "integer", "minimum": 1, "description": "Started days late."},
                                    "penalty_percent": {"type": "number", "minimum": 0, "maximum": 100},
                                    "score_before_penalty": {"type": "number", "minimum": 0},
                                    "due": {"type": "string"}, "submitted_at": {"type": "string"}}},
        },
    }


SCHEMAS = {
    "problem.schema.json": problem_schema,
    "submission.schema.json": submission_schema,
    "report.schema.json": report_schema,
}


def render(name: str) -> str:
    return json.dumps(SCHEMAS[name](), indent=2, ensure_ascii=False) + "\n"


@lru_cache(maxsize=None)
def validator(name: str) -> jsonschema.protocols.Validator:
    """The validator of one of our schemas. They are not checked against their metaschema here (0.16 s for the
    problem schema, at every start): they are grader's own, fixed with the code, and tests/test_schemas.py
    checks each of them."""
    schema = SCHEMAS[name]()
    return jsonschema.validators.validator_for(schema)(schema)


def write_all(directory: Path = HERE) -> list[Path]:
    written = []
    for name in SCHEMAS:
        path = directory / name
        path.write_text(render(name), encoding="utf-8")
        written.append(path)
    return written
