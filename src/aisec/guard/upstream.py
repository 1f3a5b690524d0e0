"""The proxy's HTTP client towards the upstream model: `AiohttpClient`, its answers
(`UpstreamResponse`) and its errors.

Why aiohttp and not httpx: on a worker pinned to one core, a burst of concurrent requests
queues behind the CPU each one costs, and httpx spent about 700 µs per request in its
connection pool's bookkeeping, anyio streams and request/response models; aiohttp's
client, on asyncio protocols with a C HTTP parser, about 70 µs (32 concurrent requests
against a local server, one core).

Errors: `UpstreamTimeout` for a time-out, `UpstreamBroken` when a connection broke before
any byte of an answer (a kept-alive connection the upstream closed as it was reused:
worth one more try, on a fresh connection), `UpstreamError` for anything else. ``name``
says what happened, in words that do not depend on the client library: ``ConnectError``,
``ConnectTimeout`` (no connection, or no free one, in the connect time-out), ``ReadTimeout``
(nothing from the upstream for the read time-out), ``RemoteProtocolError`` (broken or cut
off, or not HTTP).
"""

from __future__ import annotations

import asyncio
import codecs
import ssl
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp

from aisec.io.records import load_json

#: connections per upstream origin
MAX_CONNECTIONS = 512
#: how long an idle connection is kept (uvicorn closes its own after 5 s)
KEEPALIVE_SECONDS = 4.0


class UpstreamError(Exception):
    """No usable answer from the upstream; ``name`` says what happened."""

    def __init__(self, name: str, message: str = "") -> None:
        super().__init__(message or name)
        self.name = name


class UpstreamTimeout(UpstreamError):
    """The upstream did not connect or answer in time."""


class UpstreamBroken(UpstreamError):
    """The connection broke before any byte of an answer."""


class UpstreamTooLarge(UpstreamError):
    """The answer is longer than the proxy takes (``guard.proxy.max_answer_bytes``, or
    ``max_embeddings_bytes`` for embeddings)."""


async def split_lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """UTF-8 lines of a byte stream (ended by LF or CRLF, without the ending). Unlike
    `str.splitlines`, a U+2028 inside a JSON string is no line break."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    rest = ""
    async for chunk in chunks:
        text = rest + decoder.decode(chunk)
        *lines, rest = text.split("\n")
        for line in lines:
            yield line.removesuffix("\r")
    rest += decoder.decode(b"", final=True)
    if rest:
        yield rest.removesuffix("\r")


def _translate(exc: BaseException, *, answered: bool) -> UpstreamError:
    """An aiohttp error (or a time-out) as an `UpstreamError`; ``answered`` says whether
    the upstream had begun its answer."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return UpstreamTimeout("ConnectTimeout", "no connection to the upstream in time")
    if isinstance(exc, TimeoutError):  # aiohttp's SocketTimeoutError among them
        return UpstreamTimeout("ReadTimeout", "the upstream sent nothing in time")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return UpstreamError("ConnectError", str(exc))
    if not answered and isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError):
        return UpstreamBroken("RemoteProtocolError", "the upstream closed the connection")
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ServerDisconnectedError):
        return UpstreamError("RemoteProtocolError", "the upstream's answer was cut off")
    if isinstance(exc, aiohttp.ClientResponseError):  # not HTTP
        return UpstreamError("RemoteProtocolError", f"invalid HTTP from the upstream: {exc}")
    if isinstance(exc, aiohttp.InvalidURL):
        return UpstreamError("UnsupportedProtocol", f"not an http(s) URL: {exc}")
    return UpstreamError(type(exc).__name__, str(exc))


#: what `_translate` handles
_ERRORS = (aiohttp.ClientError, TimeoutError)


class UpstreamResponse:
    """An answer: its status, then its body whole (`read`) or line by line (`lines`)."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.status = response.status
        self.body: bytes | None = None

    async def read(self, limit: int | None = None) -> bytes:
        """The whole body; `UpstreamTooLarge` past ``limit`` bytes (decompressed), found
        before reading it when the upstream says its length."""
        if self.body is None:
            length = self.response.content_length
            if limit is not None and length is not None and length > limit:
                raise UpstreamTooLarge("ResponseTooLarge", f"an answer of {length} bytes")
            try:
                plain = self.response.headers.get("Content-Encoding", "identity") == "identity"
                if limit is None or (length is not None and plain):
                    self.body = await self.response.read()
                else:  # no length said (chunked or compressed): count as it comes
                    self.body = await self._bounded(limit)
            except _ERRORS as exc:
                raise _translate(exc, answered=True) from None
        return self.body

    async def _bounded(self, limit: int) -> bytes:
        parts: list[bytes] = []
        size = 0
        async for chunk in self.response.content.iter_any():
            size += len(chunk)
            if size > limit:
                raise UpstreamTooLarge("ResponseTooLarge", f"an answer over {limit} bytes")
            parts.append(chunk)
        return b"".join(parts)

    async def _chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.response.content.iter_any():  # decompressed
                yield chunk
        except _ERRORS as exc:
            raise _translate(exc, answered=True) from None

    def lines(self) -> AsyncIterator[str]:
        return split_lines(self._chunks())

    async def events(self, limit: int) -> AsyncIterator[dict[str, Any]]:
        """The JSON objects of a server-sent event stream's ``data:`` lines, up to
        ``data: [DONE]`` (a line that is not a JSON object is skipped);
        `UpstreamTooLarge` once the lines come to more than ``limit`` characters."""
        left = limit
        async for line in self.lines():
            left -= len(line)
            if left < 0:
                raise UpstreamTooLarge("ResponseTooLarge", f"a stream over {limit} characters")
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            try:
                event = load_json(data)
            except ValueError:
                continue
            if isinstance(event, dict):
                yield event

    async def aclose(self) -> None:
        """Give the connection back, or close it when the answer was left unread."""
        if self.response.content.at_eof():
            self.response.release()
        else:
            self.response.close()


class AiohttpClient:
    """The upstream client: aiohttp, keep-alive connections (newest first), at most
    `MAX_CONNECTIONS` per origin; ``connect`` bounds opening a connection or waiting for a
    free one, ``read`` the silence between two pieces of the answer. HTTP(S) proxies from
    the environment (``HTTPS_PROXY``, ``NO_PROXY`` …) apply; TLS trusts the system's
    certificates and ``SSL_CERT_FILE``; no redirects are followed; the upstream is asked
    not to compress, and undone if it does anyway."""

    def __init__(
        self, *, connect: float, read: float, max_connections: int = MAX_CONNECTIONS
    ) -> None:
        self.timeout = aiohttp.ClientTimeout(total=None, connect=connect, sock_read=read)
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._fresh: aiohttp.ClientSession | None = None
        self._ssl: ssl.SSLContext | None = None
        #: (scheme, host) → the HTTP proxy for it, or None
        self._proxies: dict[tuple[str, str], str | None] = {}
        #: the same by URL (the proxy's few upstream URLs; bounded all the same)
        self._proxy_by_url: dict[str, str | None] = {}

    def _make(self, *, keep_alive: bool) -> aiohttp.ClientSession:
        if self._ssl is None:  # read now, not at import: SSL_CERT_FILE as it is when used
            self._ssl = ssl.create_default_context()
        connector = aiohttp.TCPConnector(
            ssl=self._ssl,
            limit=self.max_connections,
            limit_per_host=0,
            keepalive_timeout=KEEPALIVE_SECONDS if keep_alive else None,
            force_close=not keep_alive,
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=self.timeout,
            trust_env=False,  # (True reads ~/.netrc and the environment per request)
            # one session serves every client and application: a cookie the upstream sets
            # for one answer must never go out with the others' requests
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=True,
            skip_auto_headers=("Accept", "Content-Type"),
        )

    def _pick(self, fresh: bool) -> aiohttp.ClientSession:
        # made on first use: a session belongs to the running event loop
        if fresh:
            if self._fresh is None:
                self._fresh = self._make(keep_alive=False)
            return self._fresh
        if self._session is None:
            self._session = self._make(keep_alive=True)
        return self._session

    def _proxy_for(self, url: str) -> str | None:
        """The environment's HTTP proxy for ``url`` (``HTTP_PROXY``, ``HTTPS_PROXY``,
        ``ALL_PROXY``, less ``NO_PROXY``), looked up once per scheme and host (and kept by URL)."""
        if url in self._proxy_by_url:
            return self._proxy_by_url[url]
        found = self._proxy_by_scheme_host(url)
        if len(self._proxy_by_url) < 64:
            self._proxy_by_url[url] = found
        return found

    def _proxy_by_scheme_host(self, url: str) -> str | None:
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            proxies = getproxies()
            found = proxies.get(parts.scheme) or proxies.get("all")
            self._proxies[key] = None if not found or proxy_bypass(key[1]) else found
        return self._proxies[key]

    async def send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        *,
        stream: bool = False,
        fresh: bool = False,
        limit: int | None = None,
    ) -> UpstreamResponse:
        session = self._pick(fresh)
        try:
            response = await session.request(
                method,
                url,
                data=body,
                headers={**headers, "Accept-Encoding": "identity"},
                allow_redirects=False,
                proxy=self._proxy_for(url),
            )
        except _ERRORS as exc:
            raise _translate(exc, answered=False) from None
        except ValueError as exc:  # a URL aiohttp cannot use
            raise UpstreamError("UnsupportedProtocol", str(exc)) from None
        out = UpstreamResponse(response)
        if not stream:
            try:
                await out.read(limit)
            finally:
                response.release()
        return out

    async def __aenter__(self) -> AiohttpClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for session in (self._session, self._fresh):
            if session is not None:
                await session.close()
        self._session = self._fresh = None
        await asyncio.sleep(0)  # let the transports close
