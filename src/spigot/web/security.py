"""The dashboard's request checks and response headers (docs/dashboard.md, "Security model").

One pure ASGI middleware, outermost, so every request passes it before any route:

1. **Host allow-list.** The ``Host`` header must name an allowed host (``localhost``,
   ``127.0.0.1`` and ``::1`` by default; ``spigot serve --allow-host``). This defeats DNS
   rebinding: a foreign page that makes its own name resolve to 127.0.0.1 still sends its own
   name as ``Host``. Otherwise **400**.
2. **Token (optional).** With a token configured (``spigot serve --token`` or
   ``SPIGOT_TOKEN``), every request but ``/api/health`` must carry it: ``Authorization: Bearer
   <token>``, or the ``spigot_token`` cookie, which ``GET /any-page?token=<token>`` sets (and
   redirects to the page without it). Otherwise **401**.
3. **CSRF.** A state-changing request (POST, PUT, PATCH, DELETE) that comes from a browser (it
   carries ``Origin``, ``Referer``, ``Cookie`` or ``Sec-Fetch-Site``) must be same-origin (its
   ``Origin``, else its ``Referer``, names this server's scheme, host and port; ``Sec-Fetch-Site``
   is not ``cross-site``) *and* carry the CSRF token in the ``X-Spigot-CSRF`` header. The token is a
   per-server secret the pages receive in the ``spigot_csrf_<port>`` cookie (SameSite=Strict);
   ``static/app.js`` copies it into the header. Otherwise **403**. A request with a bearer token
   needs no CSRF token (a browser cannot attach one cross-site), and neither does a request with
   none of the browser headers (``curl``, scripts): a web page cannot send one.
4. **Headers** on every response: a Content-Security-Policy that allows only this server's own
   scripts, styles and images (no CDN) plus the exact inline scripts of each page (by SHA-256
   hash, computed from the page), ``frame-ancestors 'none'``, ``X-Frame-Options: DENY``,
   ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import re
import secrets
import zlib
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["CSRF_HEADER", "LOCAL_HOSTS", "TOKEN_COOKIE", "Security", "is_local_host"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Host names allowed by default.
LOCAL_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
#: Header that carries the CSRF token.
CSRF_HEADER = "x-spigot-csrf"
#: Cookie that carries the access token after ``?token=`` on a page.
TOKEN_COOKIE = "spigot_token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_BROWSER_HEADERS = ("origin", "referer", "cookie", "sec-fetch-site")
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
_BASE_CSP = ("default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
             "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; "
             "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def is_local_host(host: str) -> bool:
    """Whether ``host`` (an interface to bind) is a loopback name or address."""
    name = host.strip().strip("[]").lower()
    return name in LOCAL_HOSTS or name.startswith("127.")


def _split_host(value: str) -> tuple[str, str]:
    """``"[::1]:8050"`` -> ``("::1", "8050")``; ``"localhost"`` -> ``("localhost", "")``."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        return name, rest.lstrip(":")
    name, _, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
    return name, port


class Security:
    """Host allow-list, optional token, CSRF checks, and security headers (see module doc).

    Parameters
    ----------
    app
        The application.
    allowed_hosts
        Host names (without port) accepted in ``Host``; ``"*"`` accepts any.
    token
        Access token, or ``None`` for none.
    csrf_token
        The CSRF secret (default: a fresh random one).
    """

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] = LOCAL_HOSTS,
                 token: str | None = None, csrf_token: str | None = None) -> None:
        self.app = app
        self.allowed = {h.strip().strip("[]").lower() for h in allowed_hosts}
        self.token = token or None
        self.csrf_token = csrf_token or secrets.token_urlsafe(32)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        path = str(scope.get("path", ""))
        host, port = _split_host(headers.get("host", ""))
        if "*" not in self.allowed and host not in self.allowed:
            await self._refuse(send, scope, 400, f"host not allowed: got {host!r}; this server "
                               f"answers to {', '.join(sorted(self.allowed))} (spigot serve "
                               "--allow-host NAME adds one)")
            return
        cookies = _cookies(headers.get("cookie", ""))
        bearer = self._bearer(headers)
        if self.token is not None and path != "/api/health":
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            if scope.get("method") == "GET" and secrets.compare_digest(
                    query.get("token", ""), self.token):
                await self._login(send, path, query)
                return
            given = bearer or cookies.get(TOKEN_COOKIE, "")
            if not secrets.compare_digest(given, self.token):
                await self._refuse(send, scope, 401, "this dashboard needs its access token: "
                                   "send 'Authorization: Bearer TOKEN', or open any page once "
                                   "with ?token=TOKEN", {"www-authenticate": "Bearer"})
                return
        if scope.get("method") in _UNSAFE and not (self.token and bearer):
            problem = self._csrf_problem(headers, host, port, scope)
            if problem:
                await self._refuse(send, scope, 403, f"cross-site request refused: {problem}")
                return
        await self.app(scope, receive, self._sender(send, port))

    # ----------------------------------------------------------------- checks
    @staticmethod
    def _bearer(headers: dict[str, str]) -> str:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        return value.strip() if scheme.lower() == "bearer" else ""

    def _csrf_problem(self, headers: dict[str, str], host: str, port: str,
                      scope: Scope) -> str | None:
        if not any(h in headers for h in _BROWSER_HEADERS):
            return None  # not a browser: a web page cannot send a request without these
        if headers.get("sec-fetch-site", "") == "cross-site":
            return "the browser says it comes from another site (Sec-Fetch-Site: cross-site)"
        scheme = str(scope.get("scheme", "http"))
        for name in ("origin", "referer"):
            if name not in headers:
                continue
            value = headers[name]
            parts = urlsplit(value)
            if value == "null" or not parts.hostname:
                return f"{name.title()} {value!r} is not this server"
            other = (parts.scheme, parts.hostname.lower(),
                     str(parts.port or ""))
            default = {"http": "80", "https": "443"}.get(scheme, "")
            if other[0] != scheme or other[1] != host or (other[2] or default) != (port or default):
                return (f"{name.title()} {value!r} is not this server "
                        f"({scheme}://{host}{':' + port if port else ''})")
            break
        given = headers.get(CSRF_HEADER, "")
        if not secrets.compare_digest(given, self.csrf_token):
            return (f"missing or wrong {CSRF_HEADER} header (the dashboard's pages send it; "
                    "reload the page)")
        return None

    # ----------------------------------------------------------------- answers
    async def _login(self, send: Send, path: str, query: dict[str, str]) -> None:
        rest = {k: v for k, v in query.items() if k != "token"}
        target = path + ("?" + urlencode(rest) if rest else "")
        cookie = f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", target.encode("latin-1")),
                                (b"set-cookie", cookie.encode("latin-1")),
                                (b"content-length", b"0"), *self._headers(b"")]})
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, send: Send, scope: Scope, status: int, detail: str,
                      extra: dict[str, str] | None = None) -> None:
        if str(scope.get("path", "")).startswith("/api") or str(scope.get("path", "")) in (
                "/openapi.json",):
            body = json.dumps({"detail": detail}).encode()
            kind = b"application/json"
        else:
            body = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>spigot: "
                    f"error {status}</title></head><body><h1>Error {status}</h1>"
                    f"<p class='error'>{html.escape(detail)}</p></body></html>").encode()
            kind = b"text/html; charset=utf-8"
        headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                   *self._headers(body)]
        headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _headers(self, page: bytes, encoding: str = "") -> list[tuple[bytes, bytes]]:
        hashes = ""
        if page:
            if encoding:
                try:
                    page = gzip.decompress(page) if encoding == "gzip" else zlib.decompress(page)
                except (OSError, zlib.error, EOFError):
                    page = b""
            found = {base64.b64encode(hashlib.sha256(m).digest()).decode()
                     for m in _INLINE_SCRIPT.findall(page)}
            hashes = "".join(f" 'sha256-{h}'" for h in sorted(found))
        return [(b"content-security-policy", _BASE_CSP.format(hashes=hashes).encode()),
                (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                (b"referrer-policy", b"same-origin"),
                (b"cross-origin-opener-policy", b"same-origin")]

    def _sender(self, send: Send, port: str) -> Send:
        """Add the headers; buffer HTML pages to hash their inline scripts and set the cookie."""
        start: Message | None = None
        chunks: list[bytes] = []
        cookie = (f"spigot_csrf_{port or '80'}={self.csrf_token}; Path=/; SameSite=Strict"
                  ).encode("latin-1")

        async def sender(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                kind = dict((k.lower(), v) for k, v in message.get("headers", [])).get(
                    b"content-type", b"")
                if kind.startswith(b"text/html"):
                    start = message  # hold it until the whole page is here
                    return
                extra = [h for h in self._headers(b"") if h[0] not in names]
                message["headers"] = [*message.get("headers", []), *extra]
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            page = b"".join(chunks)
            raw = dict((k.lower(), v) for k, v in start.get("headers", []))
            encoding = raw.get(b"content-encoding", b"").decode("latin-1").strip()
            names = set(raw)
            extra = [h for h in self._headers(page, encoding) if h[0] not in names]
            start["headers"] = [*start.get("headers", []), *extra, (b"set-cookie", cookie)]
            await send(start)
            await send({"type": "http.response.body", "body": page})

        return sender


def _cookies(header: str) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed Cookie header: treat as none
        return {}
    return {k: v.value for k, v in jar.items()}
