"""Turn network failures into one line: what failed and what the user can do."""
from __future__ import annotations

import json

import requests


def describe(exc: BaseException, what: str, timeout: float, proxy: str | None = None) -> str:
    """One line for a failed request to `what` (a host or table); names the proxy when one refused."""
    if isinstance(exc, requests.exceptions.ProxyError) or (proxy and isinstance(exc, requests.ConnectionError)
                                                           and "proxy" in str(exc).lower()):
        return (f"{what}: the proxy {proxy or '(from HTTPS_PROXY/HTTP_PROXY)'} refused or could not be reached — "
                f"check HTTPS_PROXY / HTTP_PROXY (or unset them)")
    cause = exc.__cause__ if isinstance(exc, requests.HTTPError) and exc.__cause__ is not None else exc
    if isinstance(cause, requests.HTTPError):
        status = getattr(getattr(cause, "response", None), "status_code", None)
        if status == 404:
            return f"{what}: not found (HTTP 404) — the table may have been withdrawn or renamed"
        if status is not None and status >= 500:
            return f"{what}: the server answered HTTP {status} (a fault on its side) — try again later"
        return f"{what}: the server refused the request (HTTP {status})"
    if isinstance(exc, requests.Timeout):
        return f"{what}: no answer within {timeout:g} s — the service is slow or unreachable; try again later"
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        if "Read timed out" in text:   # urllib3 gave up after its retries
            return f"{what}: no answer within {timeout:g} s (also when tried again) — the service is slow or unreachable; try again later"
        if "NameResolution" in text or "Name or service not known" in text or "getaddrinfo" in text:
            return f"{what}: the host name could not be resolved (no DNS / no internet) — check the connection"
        if "RemoteDisconnected" in text or "Connection aborted" in text or "IncompleteRead" in text:
            return f"{what}: the connection was dropped during the transfer (also when tried again) — try again later"
        return f"{what}: cannot connect (no network, or the service is down) — check the connection"
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return f"{what}: the transfer was cut off (also when asked again) — try again later"
    if isinstance(exc, (json.JSONDecodeError, ValueError)):
        return f"{what}: the answer is not the expected JSON — the service may have changed"
    return f"{what}: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


NETWORK_ERRORS = (requests.RequestException, json.JSONDecodeError)
