from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED_SPEC = ROOT / "problems" / "rnn-attention.yaml"
SEED_CLASS = ROOT / "submissions" / "rnn-attention"
PRACTICE = ROOT / "problems" / "attention-practice.yaml"  # the randomized companion: a variant per student


@dataclass
class Run:
    status: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """Run the grader CLI in-process: cli("grade", spec, dir) -> Run(status, out, err)."""

    def run(*args: object) -> Run:
        status = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run


@pytest.fixture
def write(tmp_path):
    """write("name.yaml", text) -> path; text is dedented."""

    def put(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return put


@pytest.fixture(scope="session")
def practice():
    """problems/attention-practice.yaml, loaded once (grading only reads it and fills its caches)."""
    from grader.spec import load_spec

    return load_spec(PRACTICE)
