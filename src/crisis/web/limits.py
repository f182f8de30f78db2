"""The request-size limit, counted on the bytes as they arrive, however the body is framed.

A body declared larger than ``CRISIS_MAX_UPLOAD_MB`` is refused before it is read (see the
app's guard); a chunked or streamed one is counted chunk by chunk as the app reads it. The
moment it passes the limit this middleware answers 413 naming the setting, and the app,
reading on, is told that the client went away, so it stops without answering itself.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crisis.web.security import SECURITY_HEADERS


class BodyLimit:
    """ASGI middleware that stops reading a request body past ``limit`` bytes."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from crisis.web.errors import upload_limit

        received = 0
        started = False
        refused = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    if not started:
                        await upload_limit(Request(scope))(scope, _nothing, refusal)
                    return {"type": "http.disconnect"}
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if refused and started:
                return  # we answered already; what the app says after is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        async def refusal(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                headers += [(b"cache-control", b"no-store"), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except Exception:
            if not refused:
                raise
            # The app stopped on the disconnect we told it of: the 413 is already sent.


async def _nothing() -> Message:
    return {"type": "http.disconnect"}
