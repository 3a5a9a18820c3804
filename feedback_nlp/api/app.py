"""The tagging service: FastAPI over the same pipeline and output schema as the CLI.

Models load once when the app starts. The pipeline runs on the event loop's thread through `LoopBatcher`: requests
that arrive together are scored in one batch (no component needs a lock, and no thread competes with the loop for
the interpreter lock). A well-formed `POST /v1/analyze` takes `AnalyzeFastPath`, which skips FastAPI's routing but
uses the same model and endpoint; the body limit is a plain ASGI wrapper, because Starlette's `BaseHTTPMiddleware`
costs a task and a stream per request."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .. import __version__
from ..io.writers import dumps
from .batching import LoopBatcher


@dataclass(frozen=True)
class ServiceLimits:
    max_body_bytes: int = 1_000_000
    max_text_chars: int = 20_000
    max_batch_items: int = 256


class TurnIn(BaseModel):
    speaker: str = Field(description="customer/agent, or 客户/坐席/客服/… (see the README)")
    text: str
    start: float | None = None
    end: float | None = None


class ContactIn(BaseModel):
    """One text (`text`) or one transcript (`turns`); any other fields are kept in the answer as metadata."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [
        {"text": "我的信用卡被重复扣款了，到现在还没退回来"},
        {"id": "call-1", "channel": "phone", "turns": [{"speaker": "客户", "text": "退款还没到账"},
                                                     {"speaker": "坐席", "text": "我帮您查一下"}]},
    ]})
    id: str | None = None
    text: str | None = None
    turns: list[TurnIn] | None = None

    @model_validator(mode="after")
    def text_or_turns(self) -> ContactIn:
        if (self.text is None) == (self.turns is None):
            raise ValueError("give exactly one of 'text' or 'turns'")
        return self

    def characters(self) -> int:
        return len(self.text) if self.text is not None else sum(len(t.text) for t in self.turns or [])


class BatchIn(BaseModel):
    items: list[ContactIn]


class LimitExceeded(Exception):
    def __init__(self, message: str):
        self.message = message


class BodyLimit:
    """Answers 413 for a body over `max_bytes`: at once when Content-Length says so, else as soon as the streamed
    body passes the limit. The body (at most `max_bytes`) is read here and handed on whole."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", ())).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            message = f"The request body is {int(declared):,} bytes; the limit is {self.max_bytes:,}."
            return await _limit_response(message)(scope, receive, send)
        try:
            body = await _read_body(receive, self.max_bytes)
        except _BodyTooLarge as exc:
            message = f"The request body is over {exc.size:,} bytes; the limit is {self.max_bytes:,}."
            return await _limit_response(message)(scope, receive, send)
        if body is not None:
            await self.app(scope, _replaying(body, receive), send)


class AnalyzeFastPath:
    """Answers a well-formed `POST /v1/analyze` without FastAPI's routing, dependency solving and second
    validation pass, which cost the event loop more than the request's share of the batched pipeline. The body is
    validated by the same `ContactIn` model and answered by the same endpoint function; anything it does not take
    (another route, a body that fails validation, a text over the limit) goes on to FastAPI unchanged, so every
    error answer still comes from one place."""

    def __init__(self, app, endpoint: Callable[[ContactIn, Request], Awaitable[Response]], path: str,
                 max_text_chars: int):
        self.app, self.endpoint, self.path, self.max_text_chars = app, endpoint, path, max_text_chars

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            return await self.app(scope, receive, send)
        content_type = dict(scope.get("headers", ())).get(b"content-type", b"")
        if content_type.split(b";")[0].strip().lower() != b"application/json":
            return await self.app(scope, receive, send)
        body = await _read_body(receive)
        if body is None:
            return
        try:
            contact = ContactIn.model_validate_json(body)
        except ValidationError:
            contact = None
        if contact is None or contact.characters() > self.max_text_chars:
            return await self.app(scope, _replaying(body, receive), send)
        response = await self.endpoint(contact, Request(scope))
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    def __init__(self, size: int):
        self.size = size


async def _read_body(receive, max_bytes: int | None = None) -> bytes | None:
    """The whole request body, or None if the client went away; `_BodyTooLarge` as soon as it passes `max_bytes`."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if max_bytes is not None and size > max_bytes:
            raise _BodyTooLarge(size)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive):
    """An ASGI receive that hands on a body already read, then whatever the connection sends next."""
    replayed = False

    async def replay():
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _json(content: Any, status_code: int = 200) -> Response:
    return Response(dumps(content), status_code=status_code, media_type="application/json")


def _as_row(doc) -> dict[str, Any]:
    return doc.to_dict() if doc.error is None else {"id": doc.id, "error": doc.error, "code": doc.error_code}


def create_app(pipeline_path: str | Path | None = None, limits: ServiceLimits | None = None) -> FastAPI:
    limits = limits or ServiceLimits()
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        from ..pipeline import load
        from ..workers import single_threaded_math

        nlp = load(pipeline_path)
        single_threaded_math()  # after loading: it limits the thread pools of the libraries loaded so far
        # Rows are built inside the batch call, so a request's own work is parsing its body and encoding its answer.
        batcher = LoopBatcher(lambda records: [_as_row(d) for d in nlp.analyze_batch(records)],
                              max_items=limits.max_batch_items)
        state.update(nlp=nlp, batcher=batcher)
        yield

    app = FastAPI(
        title="feedback-nlp", version=__version__, lifespan=lifespan,
        description="Category, sentiment, emotion, satisfaction and escalation risk for Chinese customer feedback "
                    "and call-centre transcripts. Answers use the same output schema as `feedback-nlp analyze`.",
    )

    @app.exception_handler(LimitExceeded)
    async def too_large(_: Request, exc: LimitExceeded):
        return _limit_response(exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors())
        return JSONResponse(status_code=422, content={"detail": f"Invalid request: {problems}", "code": "invalid_request"})

    async def analyse(items: list[ContactIn], request: Request) -> list[dict[str, Any]]:
        for item in items:
            if item.characters() > limits.max_text_chars:
                raise LimitExceeded(f"A text is {item.characters():,} characters; the limit is {limits.max_text_chars:,}.")
        records = [item.model_dump(exclude_none=True) for item in items]
        return await state["batcher"].submit(records, connection=request.client)

    @app.post("/v1/analyze", summary="Analyse one text or one transcript")
    async def analyze(contact: ContactIn, request: Request) -> Response:
        result = (await analyse([contact], request))[0]
        return _json(result, status_code=422 if "code" in result else 200)

    # Added last, so outermost: the fast path receives a body the limit has already checked.
    app.add_middleware(AnalyzeFastPath, endpoint=analyze, path="/v1/analyze", max_text_chars=limits.max_text_chars)
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)

    @app.post("/v1/analyze/batch", summary="Analyse up to the configured number of texts or transcripts")
    async def analyze_batch(batch: BatchIn, request: Request) -> Response:
        if len(batch.items) > limits.max_batch_items:
            raise LimitExceeded(f"The batch has {len(batch.items)} items; the limit is {limits.max_batch_items}.")
        return _json({"results": await analyse(batch.items, request)})

    @app.get("/healthz", summary="Liveness and readiness")
    def healthz() -> dict[str, Any]:
        nlp = state.get("nlp")
        return {"status": "ok" if nlp else "starting", "version": __version__,
                "components": nlp.pipe_names if nlp else []}

    @app.get("/v1/models", summary="The models in the pipeline: name, version, labels, metrics")
    def models() -> dict[str, Any]:
        nlp = state["nlp"]
        return {"models": {name: c.model_info() for name, c in nlp.components if hasattr(c, "model_info")}}

    return app


def app_from_environment() -> FastAPI:
    """The app for `uvicorn --factory` with several worker processes (`feedback-nlp serve --workers N`), which
    cannot be handed a Python object: the settings travel in FEEDBACK_NLP_* environment variables."""
    env = os.environ
    limits = ServiceLimits(int(env.get("FEEDBACK_NLP_MAX_BODY_BYTES", ServiceLimits.max_body_bytes)),
                           int(env.get("FEEDBACK_NLP_MAX_TEXT_CHARS", ServiceLimits.max_text_chars)),
                           int(env.get("FEEDBACK_NLP_MAX_BATCH", ServiceLimits.max_batch_items)))
    return create_app(env.get("FEEDBACK_NLP_PIPELINE") or None, limits)


def _limit_response(message: str) -> JSONResponse:
    return JSONResponse(status_code=413, content={"detail": message, "code": "limit_exceeded"})
