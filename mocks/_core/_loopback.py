"""httpx transports over the standard library's ``http.client``, for the core's own calls.

respx (and anything else patching httpcore) intercepts every httpx request,
loopback included: a test using respx's ``respx_mock`` fixture would see the
mock fixtures' own admin calls (reset, journal reads) fail as unmocked.
The admin clients and the handles' clients of served mocks use these
transports instead, which no httpx mocking library touches. One connection
per request: these are test and admin calls on loopback.
"""

from __future__ import annotations

import http.client
import ssl

import anyio.to_thread
import httpx

__all__ = ["AsyncLoopbackTransport", "LoopbackTransport"]


def _timeouts(request: httpx.Request) -> tuple[float | None, float | None]:
    timeout = request.extensions.get("timeout") or {}
    return timeout.get("connect"), timeout.get("read")


class LoopbackTransport(httpx.BaseTransport):
    """Sends each request on a new ``http.client`` connection (TLS with ``ssl_context``)."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl_context = ssl_context

    def _connection(
        self, url: httpx.URL, connect_timeout: float | None
    ) -> http.client.HTTPConnection:
        host = url.host
        if url.scheme == "https":
            return http.client.HTTPSConnection(
                host,
                url.port or 443,
                timeout=connect_timeout,
                context=self._ssl_context or ssl.create_default_context(),
            )
        return http.client.HTTPConnection(host, url.port or 80, timeout=connect_timeout)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        connect_timeout, read_timeout = _timeouts(request)
        body = request.read()
        connection = self._connection(request.url, connect_timeout)
        target = request.url.raw_path.decode("ascii")
        try:
            try:
                connection.connect()
            except TimeoutError as exc:
                raise httpx.ConnectTimeout(str(exc), request=request) from exc
            except (OSError, ssl.SSLError) as exc:
                raise httpx.ConnectError(str(exc), request=request) from exc
            if connection.sock is not None:
                connection.sock.settimeout(read_timeout)
            try:
                connection.putrequest(
                    request.method, target, skip_host=True, skip_accept_encoding=True
                )
                for name, value in request.headers.raw:
                    connection.putheader(name.decode("latin-1"), value.decode("latin-1"))
                connection.endheaders(body or None)
                answer = connection.getresponse()
                content = answer.read()
            except TimeoutError as exc:
                raise httpx.ReadTimeout(str(exc), request=request) from exc
            except http.client.RemoteDisconnected as exc:
                raise httpx.RemoteProtocolError(str(exc), request=request) from exc
            except (OSError, http.client.HTTPException) as exc:
                raise httpx.ReadError(str(exc), request=request) from exc
        finally:
            connection.close()
        headers = [(k, v) for k, v in answer.getheaders() if k.lower() != "transfer-encoding"]
        return httpx.Response(answer.status, headers=headers, content=content, request=request)


class AsyncLoopbackTransport(httpx.AsyncBaseTransport):
    """:class:`LoopbackTransport` for async clients: each call in a worker thread."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._sync = LoopbackTransport(ssl_context)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        copy = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=body,
            extensions=request.extensions,
        )
        response = await anyio.to_thread.run_sync(self._sync.handle_request, copy)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=response.content,
            request=request,
        )
