"""Request-body limit: a pure ASGI middleware that answers 413 before a large body is read.

A request whose ``Content-Length`` is over the limit is refused at once, without passing the
body to the application; the rest of the body is then read and thrown away (up to
:data:`DRAIN_LIMIT` bytes, in constant memory) so that the client, which is still sending, gets
the 413 instead of a reset connection. A body without a length (chunked) is counted as it
arrives and refused as soon as it passes the limit.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["DRAIN_LIMIT", "BodyLimit"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Most bytes of a refused body read and discarded so the client sees the 413.
DRAIN_LIMIT = 256 * 1024 * 1024


class _TooLargeError(Exception):
    pass


def _size(limit: int) -> str:
    return f"{limit / 1024 / 1024:.3g} MiB" if limit >= 1024 * 1024 else f"{limit / 1024:.3g} KiB"


class BodyLimit:
    """Refuse request bodies larger than ``max_bytes`` with ``413 {"detail": ...}``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        declared = headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, int(declared))
            await self._drain(receive)
            return
        received = 0
        exceeded = started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _TooLargeError
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if exceeded:  # the app turned our exception into its own error: answer 413 instead
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await self._refuse(send, None)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLargeError:
            if started:
                raise
            await self._refuse(send, None)
        if exceeded:
            await self._drain(receive)

    async def _refuse(self, send: Send, declared: int | None) -> None:
        got = f"{declared:,} bytes" if declared is not None else "more than that"
        body = json.dumps({"detail": f"request body too large: {got}; the limit is "
                                     f"{_size(self.max_bytes)} ({self.max_bytes:,} bytes). "
                                     "Upload a smaller scenario file."}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    async def _drain(receive: Receive) -> None:
        read = 0
        while read < DRAIN_LIMIT:
            message = await receive()
            if message["type"] != "http.request":
                return
            read += len(message.get("body", b""))
            if not message.get("more_body", False):
                return
