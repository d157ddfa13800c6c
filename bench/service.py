"""The checking service under load: concurrent students on loopback, against grading the same answers
in-process (no HTTP), measured in one run.

    python bench/service.py [--clients 200] [--checks 20] [--submits 2] [--workers 1,2]

For each worker count it starts ``grader serve`` (a real uvicorn, from the command line), issues
tokens for CLIENTS made-up students, and lets every student, all at once, fetch their questions,
make CHECKS self-checks of the seed homework's answers (each slightly different) and SUBMITS
submissions. It prints errors, p50/p95/max latency, checks per second, and the ratio of that rate
to grading the same answers in this process with no HTTP at all (the baseline, one core); then
counts the rows in the gradebook: every submission answered 200 must be there, none twice.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "submissions" / "rnn-attention" / "99522086.yaml"
VARIANTS = ["[6, 1, 2]", "[6,1,2]", "[2, 0, 1]", "[1, 4, 3]", "[6, 1, 2.0]"]


def answers(i: int) -> dict:
    seed = yaml.safe_load(SEED.read_text(encoding="utf-8"))["answers"]
    return {**seed, "q3a": VARIANTS[i % len(VARIANTS)], "q1b": "abcd"[i % 4]}


def baseline(n: int) -> tuple[float, dict[str, float]]:
    """Checks per second graded in-process (the same answers, the same Course, no HTTP), and the score of
    each answer sheet, which the service must give under load too."""
    sys.path.insert(0, str(ROOT))
    from grader.service.course import ServiceLimits, load_course
    from grader.service.store import Store

    with tempfile.TemporaryDirectory() as scratch:
        roster = Path(scratch) / "roster.csv"
        roster.write_text("student\n40000001\n")
        course = load_course(ROOT / "problems", roster, Store(Path(scratch)), ServiceLimits())
        bodies = [json.dumps({"answers": answers(i)}).encode() for i in range(n)]
        now = datetime.now(timezone.utc)
        course.store.admit = lambda *a: (0, 0.0)  # the baseline is grading, not the rate limit's table
        course.store.charge = lambda *a: None
        started = time.perf_counter()
        scores = {}
        for body in bodies:
            scores[key(json.loads(body)["answers"])] = course.check("40000001", "rnn-attention", body, now)["score"]
        return n / (time.perf_counter() - started), scores


def key(sheet: dict) -> str:
    return json.dumps(sheet, sort_keys=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Connection:
    """One keep-alive HTTP/1.1 connection over asyncio streams: a client light enough that the server,
    not the load generator, is what is measured (an httpx client spent a core on 50 requests a second)."""

    def __init__(self, host: str, port: int, token: str):
        self.host, self.port, self.token = host, port, token
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        data = json.dumps(body).encode() if body is not None else b""
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {self.token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n")
        self.writer.write(head.encode() + data)
        await self.writer.drain()
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        if not status_line:
            raise ConnectionError("the server closed the connection")
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def student(port: int, token: str, i: int, checks: int, submits: int, latencies: list[float],
                  errors: list[str], accepted: list[int], expected: dict[str, float]) -> None:
    connection = Connection("127.0.0.1", port, token)
    base = "/api/assignments/rnn-attention"

    async def timed(method: str, path: str, body: dict | None = None):
        started = time.perf_counter()
        try:
            status, data = await connection.request(method, path, body)
        except (OSError, asyncio.IncompleteReadError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            connection.writer = None
            return None
        if path.endswith("/check"):
            latencies.append(time.perf_counter() - started)
        if status != 200:
            errors.append(f"{status}: {data[:200]!r}")
            return None
        return json.loads(data)

    await timed("GET", base)
    for k in range(checks):
        report = await timed("POST", base + "/check", {"answers": answers(i + k)})
        want = expected[key(answers(i + k))]
        if report is not None and report["score"] != want:
            changed = [f"{p['id']} {p['status']}: {p['feedback'][:80]}" for p in report["parts"]]
            errors.append(f"score {report['score']} under load, {want} in-process: {changed}")
    for k in range(submits):
        if await timed("POST", base + "/submit", {"answers": answers(i * 7 + k)}) is not None:
            accepted.append(i)
    connection.close()


async def load(port: int, tokens: list[str], checks: int, submits: int, expected: dict[str, float]) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    accepted: list[int] = []
    started = time.perf_counter()
    await asyncio.gather(*(student(port, t, i, checks, submits, latencies, errors, accepted, expected)
                           for i, t in enumerate(tokens)))
    return {"latencies": latencies, "errors": errors, "accepted": len(accepted),
            "elapsed": time.perf_counter() - started}


def cpu_seconds(session: int) -> float:
    """CPU time used so far by every process of a session (the server and its workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # fields after the command: state, ppid, pgrp, session, ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def run(workers: int, clients: int, checks: int, submits: int, expected: dict[str, float]) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="grader-bench-service-"))
    roster = scratch / "roster.csv"
    roster.write_text("student\n" + "".join(f"{40000000 + i}\n" for i in range(clients)))
    data = scratch / "data"
    grader = [sys.executable, "-m", "grader"]
    issued = subprocess.run(grader + ["tokens", str(roster), "--data", str(data)], check=True, capture_output=True,
                            text=True, cwd=ROOT).stdout.splitlines()[1:]
    tokens = [line.split(",")[1] for line in issued]
    port = free_port()
    server = subprocess.Popen(grader + ["serve", str(ROOT / "problems"), "--roster", str(roster), "--data", str(data),
                                        "--port", str(port), "--workers", str(workers),
                                        "--checks-per-minute", str(checks + 10)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/openapi.json", timeout=1):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"the service did not start: {server.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
        before = cpu_seconds(server.pid)
        result = asyncio.run(load(port, tokens, checks, submits, expected))
        result["server_cpu"] = cpu_seconds(server.pid) - before
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    with sqlite3.connect(data / "gradebook.sqlite") as db:
        result["attempt_rows"] = db.execute("SELECT count(*) FROM service_attempts").fetchone()[0]
        result["distinct"] = db.execute("SELECT count(DISTINCT student || '/' || number) FROM service_attempts")\
            .fetchone()[0]
        result["counted_rows"] = db.execute("SELECT count(*) FROM submissions").fetchone()[0]
    result["files"] = sum(1 for _ in (data / "submissions").rglob("*.json"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--checks", type=int, default=20)
    parser.add_argument("--submits", type=int, default=2)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    base, expected = baseline(300)
    print(f"baseline: {base:,.0f} checks/s graded in-process, no HTTP (one core)")
    print(f"{args.clients} concurrent students x ({args.checks} checks + {args.submits} submissions), loopback")
    for workers in [int(w) for w in args.workers.split(",")]:
        r = run(workers, args.clients, args.checks, args.submits, expected)
        lat = sorted(r["latencies"])
        rate = len(lat) / r["elapsed"]
        lost = r["accepted"] - r["attempt_rows"]
        print(f"\n{workers} worker(s): {r['elapsed']:.1f} s, {len(r['errors'])} error(s) or changed score(s)"
              + (f" (first: {r['errors'][0]})" if r["errors"] else ""))
        print(f"  check latency p50 {statistics.median(lat) * 1000:.0f} ms, p95 {lat[int(0.95 * len(lat))] * 1000:.0f} "
              f"ms, max {lat[-1] * 1000:.0f} ms; {rate:,.0f} checks/s = {rate / base:.2f}x the in-process baseline")
        per_request = r["server_cpu"] / (len(lat) + args.clients * (1 + args.submits))
        print(f"  server CPU: {r['server_cpu']:.1f} s, {per_request * 1000:.1f} ms a request "
              f"= {per_request * base:.2f}x an in-process check")
        print(f"  submissions: {r['accepted']} answered 200, {r['attempt_rows']} rows ({r['distinct']} distinct), "
              f"{r['files']} files kept, {r['counted_rows']} students counted in the gradebook; lost: {lost}")


if __name__ == "__main__":
    main()
