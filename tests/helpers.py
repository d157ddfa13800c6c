"""Build one part from its fields and grade raw answers against it, without files."""
from __future__ import annotations


import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml

from conftest import ROOT, SEED_CLASS
from grader.grading import check_answer
from grader.kinds import KINDS
from grader.model import Outcome, Part


class RaisingSpot:
    def error(self, path: tuple, message: str, *, key: bool = False) -> None:
        raise AssertionError(f"spec problem at {path}: {message}")

    def warn(self, path: tuple, message: str) -> None:
        pass


class CollectingSpot:
    def __init__(self) -> None:
        self.problems: list[tuple[tuple, str]] = []
        self.warnings: list[tuple[tuple, str]] = []

    def error(self, path: tuple, message: str, *, key: bool = False) -> None:
        self.problems.append((tuple(path), message))

    def warn(self, path: tuple, message: str) -> None:
        self.warnings.append((tuple(path), message))


class Built:
    def __init__(self, kind: str, fields: dict[str, Any]):
        fields = {"id": "p", "kind": kind, "points": 2, "prompt": "?", **fields}
        self.module = KINDS[kind]
        self.config = self.module.configure(fields, RaisingSpot())
        self.reference = self.module.solve(self.config)
        self.part = Part("p", kind, float(fields["points"]), "?", self.config)

    def __call__(self, raw: Any) -> Outcome:
        return check_answer(self.part, self.reference, raw)


def problems_of(kind: str, fields: dict[str, Any]) -> list[str]:
    spot = CollectingSpot()
    KINDS[kind].configure({"id": "p", "kind": kind, "points": 2, "prompt": "?", **fields}, spot)
    return [m for _, m in spot.problems]


@contextmanager
def expecting(case: dict[str, Any]) -> Iterator[None]:
    """Around one external case's assertions: agree with the source, or - for a documented
    ``disagreement`` - still differ, so a change of behaviour there fails instead of passing quietly."""
    why = case.get("disagreement")
    if not why:
        yield
        return
    try:
        yield
    except AssertionError:
        return
    pytest.fail(f"now agrees with the source, though documented as a disagreement ({why}); "
                "update the case and the README")


# --- cases taken from other answer checkers (tests/data/external) ------------------------------

EXTERNAL = Path(__file__).parent / "data" / "external"


@lru_cache(maxsize=None)
def external_cases(name: str) -> tuple[dict[str, dict[str, Any]], tuple[dict[str, Any], ...]]:
    """(sources by key, cases) of one file in tests/data/external."""
    doc = yaml.safe_load((EXTERNAL / name).read_text(encoding="utf-8"))
    return doc["sources"], tuple(doc["cases"])


def external_ids(name: str, describe: Callable[[dict[str, Any]], str]) -> list[str]:
    """One readable, unique test id per case: source|location|what, '[we differ]' on a documented
    disagreement."""
    sources, cases = external_cases(name)
    ids = []
    seen: dict[str, int] = {}
    for case in cases:
        src = sources[case["src"]]
        base = f"{src.get('label', case['src'])}|{case['where']}|{describe(case)}"
        seen[base] = seen.get(base, 0) + 1
        ident = base if seen[base] == 1 else f"{base}#{seen[base]}"
        ids.append(ident + (" [we differ]" if case.get("disagreement") else ""))
    return ids


def assert_provenance(name: str) -> None:
    """Every source names its system, repository, path and full commit; every case its source,
    where in it the case came from, and the verdict it states."""
    sources, cases = external_cases(name)
    assert cases, name
    for key, src in sources.items():
        for field in ("label", "system", "repo", "path", "commit"):
            assert src.get(field), f"{name}: source {key} lacks {field}"
        assert len(str(src["commit"])) == 40, f"{name}: source {key}: commit is not a full hash"
    for i, case in enumerate(cases):
        assert case.get("src") in sources, f"{name}[{i}]: unknown source {case.get('src')!r}"
        assert case.get("where"), f"{name}[{i}]: no location in the source"
        assert "expect" in case, f"{name}[{i}]: no expected value"


def variant_answers(spec: Any, student: str) -> dict[str, Any]:
    """A student's right answers in a randomized spec, as ``grader solve --student`` shows them."""
    variant = spec.variant(student)
    return {p.id: KINDS[p.kind].show(p.config, variant.references[p.id]) for p in variant.parts}


# --- classes made from the example class, and whole runs of the grader ---------------------------

def make_class(folder: Path, copies: int) -> list[Path]:
    """``copies`` submissions made from the example class, each with its own student id."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(SEED_CLASS.iterdir())
    made = []
    for i in range(copies):
        source = sources[i % len(sources)]
        if source.is_dir():  # a folder submission: its answers alone, without the code (batches of hundreds
            answers = next(source.glob("answers.*"))  # would each run a sandbox; tests/test_code.py runs those)
            path = folder / f"s{i:04d}{answers.suffix}"
            text = "\n".join(line for line in answers.read_text(encoding="utf-8").splitlines()
                             if "rnn.py" not in line)
            path.write_text(_renamed(text.replace(',\n  }', '\n  }'), i) + "\n", encoding="utf-8")
        else:
            path = folder / f"s{i:04d}{source.suffix}"
            path.write_text(_renamed(source.read_text(encoding="utf-8"), i), encoding="utf-8")
        made.append(path)
    return made


def _renamed(text: str, i: int) -> str:
    return text.replace('"student": "', f'"student": "c{i:04d}-', 1).replace('student: "', f'student: "c{i:04d}-', 1)


def gradebook_rows(out: Path) -> dict[str, list[tuple]]:
    """Every table's rows (and the part_results view's), without the one column that is a wall-clock time."""
    db = sqlite3.connect(out / "gradebook.sqlite")
    tables = {}
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"):
        columns = [c[1] for c in db.execute(f"PRAGMA table_info({table})") if c[1] not in ("graded_at", "created_at")]
        tables[table] = sorted(db.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall(), key=repr)
    db.close()
    return tables


def output_files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.name.startswith("gradebook.sqlite")}


def run_grader(*args: object, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


# the example class's q4 files, by the mistake each shows; tests/data/code holds only what no student of it wrote
CODE_EXAMPLES = {"correct": "99522027", "sigma_at_t": "99522014", "last_loss_only": "99522059",
                 "reads_spec": "99522033", "endless": "99522048"}


def code_file(name: str) -> Path:
    """An example rnn.py for q4: one of the example class's (``correct``, ``sigma_at_t``...) or ``transposed``."""
    if name in CODE_EXAMPLES:
        return SEED_CLASS / CODE_EXAMPLES[name] / "rnn.py"
    return ROOT / "tests" / "data" / "code" / f"{name}.py"
