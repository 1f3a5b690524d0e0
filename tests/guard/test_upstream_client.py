"""`UpstreamClient`, the proxy's upstream client, against a scripted socket server: keep-
alive and what is sent, the body framings, broken and cut-off connections and the proxy's
one retry, time-outs, the connection limit, streamed lines for a slow reader, HTTPS, and
an HTTP proxy from the environment."""

from __future__ import annotations

import asyncio
import datetime
import gzip
import json
import ssl
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from proxy_support import free_port

from aisec.guard import Guard
from aisec.guard.proxy import GuardProxy, ProxyError, ProxySettings
from aisec.guard.upstream import (
    UpstreamBroken,
    UpstreamClient,
    UpstreamError,
    UpstreamTimeout,
    UpstreamTooLarge,
)

Respond = Callable[[str, int, asyncio.StreamWriter], Awaitable[bool]]


def ok(body: bytes, *extra: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in extra)
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n" % (len(body), head.encode()) + body


class Server:
    """A socket server; ``respond(path, connection number, writer)`` answers each request
    and says whether the connection stays open."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.connections = 0
        self.requests: list[bytes] = []

    async def __aenter__(self) -> Server:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.server.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                self.requests.append(head + await reader.readexactly(length))
                if not await self.respond(head.split()[1].decode(), number, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def run(coro: Awaitable[Any]) -> Any:
    async def main() -> Any:
        return await asyncio.wait_for(coro, 20)

    return asyncio.run(main())


async def get(client: UpstreamClient, url: str, **kw: Any) -> tuple[int, bytes]:
    response = await client.send("GET", url, None, {}, **kw)
    try:
        return response.status, await response.read()
    finally:
        await response.aclose()


def test_keep_alive_one_connection_and_what_is_sent() -> None:
    async def respond(path: str, _n: int, w: asyncio.StreamWriter) -> bool:
        w.write(ok(json.dumps({"path": path}).encode()))
        return True

    async def main() -> None:
        async with Server(respond) as server:
            client = UpstreamClient(connect=2, read=2)
            for _ in range(3):
                assert await get(client, server.url("/v1/models?x=1")) == (
                    200,
                    b'{"path": "/v1/models?x=1"}',
                )
            response = await client.send(
                "POST", server.url("/v1/chat"), b'{"a":1}', {"Authorization": "Bearer k"}
            )
            assert response.status == 200 and json.loads(await response.read())
            await client.aclose()
            assert server.connections == 1
            sent = server.requests[-1]
            head, _, body = sent.partition(b"\r\n\r\n")
            line, *fields = head.decode().split("\r\n")
            named = {k.lower(): v.strip() for k, _, v in (f.partition(":") for f in fields)}
            assert line == "POST /v1/chat HTTP/1.1" and body == b'{"a":1}'
            assert named["host"] == f"127.0.0.1:{server.port}"
            assert named["authorization"] == "Bearer k" and named["content-length"] == "7"
            assert named["accept-encoding"] == "identity"

    run(main())


def test_cookies_from_the_upstream_are_never_sent_back() -> None:
    # the proxy serves many clients and applications over one session: a cookie the
    # upstream sets for one answer (a session, a load balancer's affinity) must not go out
    # with everybody's later requests. (By name, "localhost": cookie jars may refuse IP
    # hosts.)
    async def respond(_path: str, _n: int, w: asyncio.StreamWriter) -> bool:
        w.write(ok(b"{}", "Set-Cookie: session=alice-secret; Path=/"))
        return True

    async def main() -> None:
        async with Server(respond) as server:
            client = UpstreamClient(connect=2, read=2)
            url = f"http://localhost:{server.port}/v1/chat/completions"
            for _ in range(3):
                response = await client.send("POST", url, b"{}", {})
                assert response.status == 200
            await client.aclose()
            assert len(server.requests) == 3
            assert not any(b"cookie:" in r.lower() for r in server.requests)

    run(main())


def test_chunked_until_close_gzip_and_informational_answers() -> None:
    async def respond(path: str, _n: int, w: asyncio.StreamWriter) -> bool:
        if path == "/chunked":
            w.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            w.write(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        elif path == "/close":  # no length: the body ends with the connection
            w.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
            return False
        elif path == "/gzip":
            w.write(ok(gzip.compress(b"squeezed"), "Content-Encoding: gzip"))
        elif path == "/bomb":  # 60 bytes on the wire, 100,000 once undone
            w.write(ok(gzip.compress(b"x" * 100_000), "Content-Encoding: gzip"))
        elif path == "/early":
            w.write(b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n")
            w.write(ok(b"after the hints"))
        return True

    async def main() -> None:
        async with Server(respond) as server:
            client = UpstreamClient(connect=2, read=2)
            assert await get(client, server.url("/chunked")) == (200, b"hello world")
            assert await get(client, server.url("/close")) == (200, b"until the end")
            assert await get(client, server.url("/gzip")) == (200, b"squeezed")
            with pytest.raises(UpstreamTooLarge):  # the limit counts what is undone
                await client.send("GET", server.url("/bomb"), None, {}, limit=1000)
            assert len((await get(client, server.url("/bomb")))[1]) == 100_000
            assert await get(client, server.url("/early")) == (200, b"after the hints")
            await client.aclose()

    run(main())


def test_broken_before_an_answer_is_retried_once_by_the_proxy() -> None:
    async def respond(path: str, n: int, w: asyncio.StreamWriter) -> bool:
        if n == 1 or path.endswith("/never"):  # the first connection breaks, unanswered
            return False
        w.write(ok(b'{"object": "list", "data": []}'))
        return True

    async def main() -> None:
        async with Server(respond) as server:
            client = UpstreamClient(connect=2, read=2)
            with pytest.raises(UpstreamBroken):
                await client.send("POST", server.url("/v1/x"), b"{}", {})
            proxy = GuardProxy(ProxySettings(upstream=server.url("/v1")), Guard(), client=client)
            await proxy.start()
            assert (await proxy.models()).body == {"object": "list", "data": []}
            assert proxy.metrics.upstream_errors.labels("retried")._value.get() == 0
            # an idle kept-alive connection the upstream has dropped: one more try
            server.respond = lambda p, n, w: respond(p, 1, w)
            with pytest.raises(ProxyError) as info:
                await proxy.models()
            assert info.value.status == 502
            assert "RemoteProtocolError" in info.value.body["error"]["message"]
            assert proxy.metrics.upstream_errors.labels("retried")._value.get() == 1
            await proxy.close()

    run(main())


def test_cut_off_body_is_an_error_but_no_retry() -> None:
    async def respond(_path: str, _n: int, w: asyncio.StreamWriter) -> bool:
        w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part")
        return False

    async def main() -> None:
        async with Server(respond) as server:
            async with UpstreamClient(connect=2, read=2) as client:
                with pytest.raises(UpstreamError) as info:
                    await get(client, server.url("/x"))
            assert not isinstance(info.value, UpstreamBroken)
            assert info.value.name == "RemoteProtocolError"

    run(main())


def test_time_outs_and_refused_connections() -> None:
    async def respond(path: str, _n: int, w: asyncio.StreamWriter) -> bool:
        if path == "/drip":  # a byte every 0.1 s: never silent for the read time-out
            w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
            for ch in b"abcde":
                await asyncio.sleep(0.1)
                w.write(bytes([ch]))
            return True
        await asyncio.sleep(5)  # silent
        return False

    async def main() -> None:
        async with Server(respond) as server:
            client = UpstreamClient(connect=2, read=0.3)
            t0 = time.monotonic()
            with pytest.raises(UpstreamTimeout) as info:
                await get(client, server.url("/silent"))
            assert info.value.name == "ReadTimeout" and time.monotonic() - t0 < 2
            assert await get(client, server.url("/drip")) == (200, b"abcde")
            await client.aclose()
        async with UpstreamClient(connect=2, read=2) as refused:
            with pytest.raises(UpstreamError) as info:
                await get(refused, f"http://127.0.0.1:{free_port()}/")
        assert info.value.name == "ConnectError"

    run(main())


def test_connection_limit_waits_then_times_out() -> None:
    async def respond(path: str, _n: int, w: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.3 if path == "/slow" else 0.05)
        w.write(ok(path.encode()))
        return True

    async def main() -> None:
        async with Server(respond) as server:
            client = UpstreamClient(connect=1, read=2, max_connections=1)
            answers = await asyncio.gather(*(get(client, server.url(f"/{i}")) for i in range(4)))
            assert answers == [(200, f"/{i}".encode()) for i in range(4)]
            assert server.connections == 1  # one at a time, on the same connection
            await client.aclose()
            hurried = UpstreamClient(connect=0.1, read=2, max_connections=1)
            slow = asyncio.ensure_future(get(hurried, server.url("/slow")))
            await asyncio.sleep(0.05)
            with pytest.raises(UpstreamTimeout) as info:
                await get(hurried, server.url("/next"))
            assert info.value.name == "ConnectTimeout"
            assert await slow == (200, b"/slow")
            await hurried.aclose()

    run(main())


def test_streamed_lines_for_a_slow_reader() -> None:
    lines = [f"data: {i} 行\u2028内 {'x' * 80}" for i in range(60)]
    payload = "".join(line + "\r\n" for line in lines).encode()

    async def respond(path: str, _n: int, w: asyncio.StreamWriter) -> bool:
        w.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        if path == "/endless":  # a line every 20 ms until the client goes
            while True:
                w.write(b"9\r\ndata: 1\r\n\r\n")
                await w.drain()
                await asyncio.sleep(0.02)
        for i in range(0, len(payload), 37):  # pieces cut through characters and line ends
            piece = payload[i : i + 37]
            w.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await w.drain()
        w.write(b"0\r\n\r\n")
        return True

    async def main() -> None:
        async with Server(respond) as server:
            client = UpstreamClient(connect=2, read=2)
            response = await client.send("POST", server.url("/s"), b"{}", {}, stream=True)
            got = []
            async for line in response.lines():
                got.append(line)
                if len(got) % 10 == 0:
                    await asyncio.sleep(0.02)  # a slow reader: the upstream waits
            assert got == lines
            await response.aclose()
            # a stream closed before its end takes its connection with it, at once
            response = await client.send("POST", server.url("/endless"), b"{}", {}, stream=True)
            assert (await anext(response.lines())) == "data: 1"
            t0 = time.monotonic()
            await response.aclose()
            assert time.monotonic() - t0 < 0.5
            assert await get(client, server.url("/s")) == (200, payload)
            assert server.connections == 2
            await client.aclose()

    run(main())


def test_an_http_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    async def respond(path: str, _n: int, w: asyncio.StreamWriter) -> bool:
        w.write(ok(path.encode()))
        return True

    async def main() -> None:
        async with Server(respond) as proxy:
            monkeypatch.setenv("HTTP_PROXY", proxy.url(""))
            monkeypatch.setenv("NO_PROXY", "127.0.0.1")
            client = UpstreamClient(connect=2, read=2)
            # through the proxy: the request line carries the whole URL
            answer = await get(client, "http://model.invalid:8000/v1/models")
            assert answer == (200, b"http://model.invalid:8000/v1/models")
            # NO_PROXY: straight to the server
            assert await get(client, proxy.url("/direct")) == (200, b"/direct")
            await client.aclose()

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    run(main())


def _certificates(tmp: Path) -> tuple[Path, Path, Path]:
    """A CA certificate, and a certificate for ``localhost`` it signed with its key:
    ``(CA, server certificate, server key)``."""
    now = datetime.datetime.now(datetime.UTC)

    def made(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, signer: Any, ca: bool
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = made("aisec test CA", ca_key, "aisec test CA", ca_key, True)
    cert = made("localhost", key, "aisec test CA", ca_key, False)
    paths = tmp / "ca.pem", tmp / "cert.pem", tmp / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def test_https_with_the_trusted_certificates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca, cert, key = _certificates(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ok(b"over TLS"))
        await writer.drain()
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
        url = f"https://localhost:{server.sockets[0].getsockname()[1]}/x"
        try:
            async with UpstreamClient(connect=2, read=2) as client:
                with pytest.raises(UpstreamError) as info:  # not trusted: no answer
                    await get(client, url)
            assert info.value.name == "ConnectError"
            assert "certificate" in str(info.value).lower()
            monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # OpenSSL's rule
            async with UpstreamClient(connect=2, read=2) as client:
                assert await get(client, url) == (200, b"over TLS")
        finally:
            server.close()

    run(main())
