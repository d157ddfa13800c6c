"""Grading on a Dask cluster (--cluster): a real LocalCluster of worker processes grades the example class
with the same reports and gradebook as a local run."""
from __future__ import annotations

import json

import pytest

from conftest import SEED_CLASS, SEED_SPEC
from grader.cli import main
from grader.gradebook import Gradebook

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c.scheduler_address


def _graded(out):
    with Gradebook(out / "gradebook.sqlite") as book:
        rows = {row.student: row.report for row in book.rows("rnn-attention")}
    files = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.suffix in (".json", ".md")}
    return rows, files


def test_a_cluster_grades_the_class_as_a_local_run_does(cluster, tmp_path):
    assert main(["grade", str(SEED_SPEC), str(SEED_CLASS), "--out", str(tmp_path / "local"), "--quiet",
                 "--jobs", "1"]) == 0
    assert main(["grade", str(SEED_SPEC), str(SEED_CLASS), "--out", str(tmp_path / "dask"), "--quiet",
                 "--cluster", cluster]) == 0
    local, dask = _graded(tmp_path / "local"), _graded(tmp_path / "dask")
    assert local[0] and local == dask
    assert json.loads(dask[1]["99522086.json"])["student"] == "99522086"


def test_a_scheduler_that_does_not_answer_is_a_clear_error(tmp_path, capsys):
    assert main(["grade", str(SEED_SPEC), str(SEED_CLASS), "--out", str(tmp_path / "o"), "--quiet",
                 "--cluster", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "no Dask scheduler answers there" in err and "Traceback" not in err
