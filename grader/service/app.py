"""The HTTP edge of the checking service: FastAPI routes over :class:`~grader.service.course.Course`.

Every route names who may call it (a student's token, or the instructor's), every refusal is
JSON ``{"error": ..., "field": ...}`` with a status a client can act on, and every response
carries a Content-Security-Policy that allows scripts from this server only: even if a
student's text reached the page unescaped, it could not run.
"""
from __future__ import annotations

import asyncio
import dataclasses
import functools
import hmac
import io
import logging
import math
import tempfile
import zipfile
from contextlib import contextmanager, nullcontext
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..export import EXPORTERS, Options, export
from ..stats import class_stats
from .course import Course, Refused, utc_now

LOG = logging.getLogger("grader.service")
PAGE = Path(__file__).parent / "page"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Error(BaseModel):
    error: str = Field(description="What went wrong, in words a person can act on.")
    field: str | None = Field(None, description="The request field at fault, where there is one.")
    retry_after: float | None = Field(None, description="Seconds to wait (429 only).")


class AnswersBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"answers": {"p1": ["a", "c"], "p2": "x_t^2 W h_{t-1}", "p3": [1, 2.5], "p4": "Because ..."}}]})
    answers: dict[str, Any] = Field(description="Part id -> the answer, as the student wrote it.")


class PreviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    part: str = Field(max_length=200, description="The id of an expression part.")
    text: str = Field(max_length=100_000, description="The expression as typed, in ASCII or LaTeX.")


class OverrideBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student: str = Field(min_length=1, max_length=200)
    part: str = Field(min_length=1, max_length=200)
    score: float = Field(ge=0, allow_inf_nan=False)
    comment: str = Field("", max_length=5000)


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    said = {401: "No token, or a token this service does not know.", 403: "Not yours to see, or not an instructor.",
            404: "No such assignment or part.", 409: "Past the last day, or no submissions left.",
            413: "The request or an answer is too large.", 422: "The body is malformed; 'field' names where.",
            429: "Too many checks, or one still being graded: wait 'retry_after' seconds.",
            503: "The server has too many answers waiting to be graded: try again in 'retry_after' seconds."}
    return {s: {"model": Error, "description": said[s]} for s in statuses}


def create_app(course: Course, instructor_token: str | None) -> FastAPI:
    app = FastAPI(title="grader checking service", version=__version__, docs_url=None, redoc_url=None,
                  description="Students see their own questions and check and submit answers; the answer key "
                              "stays on the server. Every call carries `Authorization: Bearer TOKEN`.")
    app.add_middleware(BodyLimit, limit=course.limits.request_bytes)
    bearer = HTTPBearer(auto_error=False, description="A student's token (from `grader tokens`) or the "
                                                      "instructor's.")

    # dependencies are coroutines: a token lookup is one indexed read, cheaper than a hop to a worker thread
    async def caller(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
        """The caller: a student id, or "" for the instructor; 401 for anyone else."""
        if credentials is None or not credentials.credentials:
            raise Refused(401, "send 'Authorization: Bearer <your token>' (your instructor gave you the token)")
        token = credentials.credentials
        if instructor_token and hmac.compare_digest(token.encode("utf-8", "replace"),
                                                     instructor_token.encode("utf-8")):
            return ""
        student = course.store.student_of(token) if len(token) <= 200 else None
        if student is None:
            raise Refused(401, "this token is not known: check it, or ask your instructor for a new one")
        if student not in course.roster:
            raise Refused(403, "this token's student is not on the course's roster any more; ask your instructor")
        return student

    async def student(who: str = Depends(caller)) -> str:
        if who == "":
            raise Refused(403, "this is a student's endpoint: use a student's token (the instructor's endpoints "
                               "are under /api/instructor/)")
        return who

    async def instructor(who: str = Depends(caller)) -> None:
        if who != "":
            raise Refused(403, "only the instructor may use /api/instructor/")

    # --- errors as JSON --------------------------------------------------------------------------
    @app.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> JSONResponse:
        headers = {"Retry-After": str(math.ceil(exc.retry_after))} if exc.retry_after else {}
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse({"error": exc.message, "field": exc.field, "retry_after": exc.retry_after},
                            exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def malformed(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x != "body") or None
        return JSONResponse({"error": f"{where or 'the body'}: {first.get('msg', 'malformed')}", "field": where,
                             "retry_after": None}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI could not parse a JSON body (too deep, say): that is a 422 here
            return JSONResponse({"error": f"the body is not JSON this service can read ({exc.detail})",
                                 "field": None, "retry_after": None}, 422)
        return JSONResponse({"error": str(exc.detail), "field": None, "retry_after": None}, exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def failed(_: Request, exc: Exception) -> JSONResponse:
        LOG.exception("internal error")
        return JSONResponse({"error": "the service failed on this request; it is logged for the instructor",
                             "field": None, "retry_after": None}, 500)

    app.add_middleware(SecurityHeaders)

    # --- the page --------------------------------------------------------------------------------
    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(PAGE / "index.html", media_type="text/html; charset=utf-8")

    @app.get("/page/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        files = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
        if name not in files:
            raise Refused(404, "no such file")
        return FileResponse(PAGE / name, media_type=files[name])

    # --- students --------------------------------------------------------------------------------
    @app.get("/api/me", responses=_errors(401))
    def me(who: str = Depends(caller)) -> dict[str, Any]:
        """Who this token belongs to."""
        return {"student": who or None, "name": course.roster.get(who, "") if who else "",
                "instructor": who == ""}

    @app.get("/api/assignments", responses=_errors(401, 403))
    def assignments(who: str = Depends(student)) -> list[dict[str, Any]]:
        """The assignments open to you: due dates, attempts used and left."""
        return course.assignments(who, utc_now())

    @app.get("/api/assignments/{assignment}", responses=_errors(401, 403, 404))
    def questions(assignment: str, who: str = Depends(student)) -> dict[str, Any]:
        """Your questions: prompts, option texts, your own numbers, kinds and points. Never an answer."""
        return course.questions(who, assignment)

    answers_body = {"requestBody": {"required": True, "content": {"application/json": {
        "schema": AnswersBody.model_json_schema()}}}}

    gate = Gate(course.limits.queue)
    # a student's code waits in its sandbox while it holds a grading thread (a file that sleeps holds one for the
    # run's whole wall-clock bound): runs may hold all threads but one, so answers without code never queue
    # behind them; a run waits here, not in a thread, for its turn
    code_runs = asyncio.Semaphore(max(1, GRADING_THREADS - 1))

    async def graded(fn, who: str, assignment: str, body: bytes) -> JSONResponse:
        now = utc_now()  # when it was sent, not when its turn came: a submission in time stays in time
        with gate.slot(who):
            async with code_runs if course.runs_code(assignment, body) else nullcontext():
                return JSONResponse(await _threaded(fn, who, assignment, body, now))

    @app.post("/api/assignments/{assignment}/check", responses=_errors(401, 403, 404, 413, 422, 429, 503),
              openapi_extra=answers_body)
    async def check(assignment: str, request: Request, who: str = Depends(student)) -> dict[str, Any]:
        """Grade your answers and say what is wrong, without recording anything as a grade."""
        return await graded(course.check, who, assignment, await request.body())

    @app.post("/api/assignments/{assignment}/submit", responses=_errors(401, 403, 404, 409, 413, 422, 429, 503),
              openapi_extra=answers_body)
    async def submit(assignment: str, request: Request, who: str = Depends(student)) -> dict[str, Any]:
        """Grade your answers and record them: the report, with which submission this was."""
        return await graded(course.submit, who, assignment, await request.body())

    @app.get("/api/assignments/{assignment}/submissions", responses=_errors(401, 403, 404))
    def history(assignment: str, who: str = Depends(student)) -> list[dict[str, Any]]:
        """Your submissions to this assignment, oldest first, with the one that counts marked."""
        return course.history(who, assignment)

    @app.post("/api/assignments/{assignment}/preview", responses=_errors(401, 403, 404, 413, 422))
    def preview(assignment: str, body: PreviewBody, who: str = Depends(student)) -> dict[str, Any]:
        """How grader reads an expression (MathML), or why it cannot: for a live preview."""
        return course.preview(who, assignment, body.part, body.text)

    # --- the instructor ------------------------------------------------------------------------
    @app.get("/api/instructor/assignments/{assignment}/results", responses=_errors(401, 403, 404),
             dependencies=[Depends(instructor)])
    def results(assignment: str) -> dict[str, Any]:
        """Every student's counted report (overrides applied) and every submission made."""
        course.spec(assignment)
        book = course.store.book()
        return {"counted": [row.report for row in book.rows(assignment)],
                "submissions": [{"student": s, "number": n, "received_at": at, "score": score, "max_score": top}
                                for s, n, at, score, top in course.store.all_attempts(assignment)]}

    @app.get("/api/instructor/assignments/{assignment}/stats", responses=_errors(401, 403, 404),
             dependencies=[Depends(instructor)])
    def stats(assignment: str) -> dict[str, Any]:
        """How each question went: facility, discrimination, option picks, frequent diagnoses."""
        course.spec(assignment)
        book = course.store.book()
        return dataclasses.asdict(class_stats(book, book.assignment(assignment)))

    @app.get("/api/instructor/assignments/{assignment}/export/{fmt}", responses={
        **_errors(401, 403, 404), 200: {"content": {"application/octet-stream": {}}, "description": "The file, "
                                        "or a zip of the files, that `grader export --format FMT` writes."}},
             dependencies=[Depends(instructor)])
    def export_file(assignment: str, fmt: str) -> Response:
        """The export `grader export DIR --format FMT` makes: one file, or a zip of several."""
        course.spec(assignment)
        if fmt not in EXPORTERS:
            raise Refused(404, f"no export format {fmt!r}; formats: {', '.join(EXPORTERS)}", "fmt")
        book = course.store.book()
        with tempfile.TemporaryDirectory() as scratch:
            written = export(book, book.assignment(assignment), Path(scratch), [fmt], Options())
            if len(written) == 1:
                name = written[0].name
                return Response(written[0].read_bytes(), media_type="application/octet-stream",
                                headers={"Content-Disposition": f'attachment; filename="{name}"'})
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in written:
                    archive.write(path, path.relative_to(scratch))
        return Response(buffer.getvalue(), media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{assignment}-{fmt}.zip"'})

    @app.post("/api/instructor/assignments/{assignment}/overrides", responses=_errors(401, 403, 404, 422),
              dependencies=[Depends(instructor)])
    def override(assignment: str, body: OverrideBody) -> dict[str, Any]:
        """An instructor's score and comment for one student's part, as `grader override` records it."""
        spec = course.spec(assignment)
        part = next((p for p in spec.assignment.parts if p.id == body.part), None)
        if part is None:
            raise Refused(404, f"no part {body.part!r} in {assignment}", "part")
        if body.score > part.points:
            raise Refused(422, f"score {body.score:g} is over the {part.points:g} points of {body.part}", "score")
        course.store.book().set_overrides(assignment, [(body.student, body.part, body.score, body.comment)])
        return {"student": body.student, "part": body.part, "score": body.score, "comment": body.comment}

    return app


class SecurityHeaders:
    """Every response gets :data:`SECURITY_HEADERS` (a plain ASGI wrapper: no cost per request beyond the
    headers themselves)."""

    def __init__(self, app):
        self.app = app
        self.extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in self.extra if h[0] not in present]
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """413 for a body over ``limit`` bytes, told by Content-Length or counted as it streams in, before any
    route reads it whole."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await self._too_large(send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._too_large(send)

    async def _too_large(self, send) -> None:
        response = JSONResponse({"error": f"the request is over {self.limit} bytes", "field": None,
                                 "retry_after": None}, 413, headers=SECURITY_HEADERS)
        await response({"type": "http"}, None, send)


class _TooLarge(Exception):
    pass


class Gate:
    """Who is being graded now, in this worker: one request per student at a time (a second waits for no
    one: 429), and at most ``queue`` in all (503), so a crowd meets a clear answer, not a growing wait.
    Used on the event loop only, so it needs no lock."""

    def __init__(self, queue: int):
        self.queue = queue
        self.students: set[str] = set()

    @contextmanager
    def slot(self, student: str) -> Iterator[None]:
        if student in self.students:
            raise Refused(429, "your previous check or submission is still being graded; send the next when it "
                               "has answered", retry_after=1.0)
        if len(self.students) >= self.queue:
            raise Refused(503, f"{len(self.students)} answers are waiting to be graded; try again in a few seconds",
                          retry_after=5.0)
        self.students.add(student)
        try:
            yield
        finally:
            self.students.discard(student)


GRADING_THREADS = 2
_GRADING = ThreadPoolExecutor(GRADING_THREADS, thread_name_prefix="grading")


async def _threaded(fn, *args):
    """Grading runs in a small pool of its own, so the event loop keeps answering. Small, because grading
    holds the GIL: more threads would not grade faster, and an answer's time budget (wall clock) must be
    spent on that answer, not on waiting for forty other threads' turns. Requests beyond the pool wait
    in its queue, before their budget starts."""
    return await asyncio.get_running_loop().run_in_executor(_GRADING, functools.partial(fn, *args))
