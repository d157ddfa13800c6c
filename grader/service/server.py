"""Starting the service: validate every spec once (errors as ``file:line:col``, exit status 2, before
any port is opened), then run uvicorn with one or more worker processes sharing ``DIR``.

Workers are separate processes (uvicorn's own ``--workers``); each builds its app from the same
settings, passed in the environment, and reloads the specs (already known to be valid).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import GraderError
from ..files import ensure_folder
from ..kinds.common import Timing
from .course import Course, ServiceLimits, load_course
from .store import Store

SETTINGS_VARIABLE = "GRADER_SERVICE_SETTINGS"
TOKEN_VARIABLE = "GRADER_INSTRUCTOR_TOKEN"
MIN_INSTRUCTOR_TOKEN = 16  # characters: a short instructor token could be guessed


@dataclass(frozen=True)
class Settings:
    problems: str
    roster: str
    data: str
    limits: ServiceLimits = ServiceLimits()


def prepare(settings: Settings) -> Course:
    """The course, ready to serve: specs validated and registered, the data folder made."""
    data = ensure_folder(Path(settings.data), parents=True)
    Timing.answer_seconds = settings.limits.part_seconds
    return load_course(Path(settings.problems), Path(settings.roster), Store(data), settings.limits)


def instructor_token(token_file: str | None) -> str | None:
    """The instructor's token: ``--instructor-token-file`` or ``$GRADER_INSTRUCTOR_TOKEN``; None: no
    instructor endpoints."""
    if token_file:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise GraderError(f"{token_file}: cannot read the instructor token: {exc.strerror or exc}") from None
    else:
        token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        return None
    if len(token) < MIN_INSTRUCTOR_TOKEN:
        raise GraderError(f"the instructor token is {len(token)} characters; use at least {MIN_INSTRUCTOR_TOKEN} "
                          "random ones (python3 -c 'import secrets; print(secrets.token_urlsafe(24))')")
    return token


def app_from_environment():
    """uvicorn's factory in each worker: the settings the parent process validated."""
    from .app import create_app

    raw = json.loads(os.environ[SETTINGS_VARIABLE])
    settings = Settings(raw["problems"], raw["roster"], raw["data"], ServiceLimits(**raw["limits"]))
    return create_app(prepare(settings), raw.get("instructor") or None)


def serve(settings: Settings, token: str | None, host: str, port: int, workers: int) -> None:
    import uvicorn

    prepare(settings)  # every spec checked here, in the parent: a bad one stops the start with exit status 2
    os.environ[SETTINGS_VARIABLE] = json.dumps({**asdict(settings), "instructor": token or ""})
    uvicorn.run("grader.service.server:app_from_environment", factory=True, host=host, port=port,
                workers=workers, log_level="info", access_log=False, proxy_headers=True, timeout_keep_alive=75,
                server_header=False)
