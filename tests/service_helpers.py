"""The checking service on a real uvicorn server (a thread of the test process, a real socket on
loopback), and a small client for it: what the service's tests share."""
from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from grader.service.app import create_app
from grader.service.course import ServiceLimits
from grader.service.server import Settings, prepare

ROOT = Path(__file__).resolve().parent.parent
INSTRUCTOR = "instructor-token-for-tests-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Running:
    url: str
    data: Path
    tokens: dict[str, str]
    server: uvicorn.Server
    thread: threading.Thread
    course: Any = None
    log: list = field(default_factory=list)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def start_service(problems: Path, roster: Path, data: Path, limits: ServiceLimits = ServiceLimits()) -> Running:
    course = prepare(Settings(str(problems), str(roster), str(data), limits))
    students = list(course.roster)
    tokens = dict(course.store.issue_tokens(students))
    app = create_app(course, INSTRUCTOR)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.02)
    return Running(f"http://127.0.0.1:{port}", data, tokens, server, thread, course)


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def call(url: str, token: str | None = None, body: Any = None, method: str | None = None,
         raw: bytes | None = None) -> Answer:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"))
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return Answer(response.status, response.read(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read(), dict(error.headers))
