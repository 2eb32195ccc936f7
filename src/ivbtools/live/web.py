"""HTTP for the live sources: a time budget per source, retries, and one line per failure.

Every source (an OData table, the BRON files) gets a `Budget`: `timeout` seconds per request and
a deadline for all its requests together. Requests go through a `requests.Session` whose
adapter retries with urllib3's `Retry` (connection errors and resets, HTTP 429 and 5xx, with
exponential backoff and the server's Retry-After), never beyond the deadline. A body that is
cut off after the headers arrived (which urllib3 cannot retry) is asked for again by
`get_json`, also within the deadline. CBS's OData service has documented resets and outages;
one dropped connection must not fail a whole source.
"""
from __future__ import annotations

import json
import os
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlparse

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ..errors import IvbError
from .neterrors import NETWORK_ERRORS, describe

RETRIES = 3            # per request, for connection errors, resets and HTTP 429/5xx
BODY_RETRIES = 2       # a body cut off after the headers, asked for again
BACKOFF = 0.5          # seconds; doubled per consecutive error (0, 1, 2 s)
RETRY_STATUS = (429, 500, 502, 503, 504)


class Unreachable(IvbError):
    """The host cannot be reached at all (no DNS, connection refused, a refusing proxy): further
    requests to it in this fetch would fail the same way."""


def failure(exc: BaseException, what: str, timeout: float, url: str) -> IvbError:
    """One line for a failed request, as Unreachable when the host cannot be reached at all."""
    line = describe(exc, what, timeout, proxy_for(url))
    text = str(exc)
    dropped = "Read timed out" in text or "RemoteDisconnected" in text or "Connection aborted" in text
    if isinstance(exc, requests.exceptions.ProxyError) or (isinstance(exc, requests.ConnectionError) and not dropped
                                                           and not isinstance(exc, requests.Timeout)):
        return Unreachable(line)
    return IvbError(line)


class DeadlineRetry(Retry):
    """urllib3's Retry that never waits or retries past the source's deadline."""

    deadline: float | None = None

    def new(self, **kw):
        fresh = super().new(**kw)
        fresh.deadline = self.deadline
        return fresh

    def _left(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    def is_exhausted(self) -> bool:
        return super().is_exhausted() or self._left() <= 0

    def get_backoff_time(self) -> float:
        return max(0.0, min(super().get_backoff_time(), self._left()))

    def get_retry_after(self, response):
        after = super().get_retry_after(response)
        return None if after is None else max(0.0, min(after, self._left()))


@dataclass
class Budget:
    """Time for one source: `timeout` per request, `deadline` (monotonic seconds) for the whole."""
    timeout: float
    deadline: float
    what: str
    urls: list[str] = field(default_factory=list)   # every URL actually requested
    bytes: int = 0                                   # bytes of every body received
    retries: int = 0                                 # bodies asked for again (cut off)
    # one line each: what differed from what ivb assumes — (line, warn): a warning changes which figures
    # are used (shown even by a quiet fetch), the rest is a log line (shown unless --quiet)
    notes: list[tuple[str, bool]] = field(default_factory=list)
    next_hosts: list[str] = field(default_factory=list)   # hosts named by next-page links (before re-basing)
    _session: requests.Session | None = field(default=None, repr=False)

    @classmethod
    def start(cls, timeout: float, source_timeout: float, what: str) -> Budget:
        return cls(timeout, time.monotonic() + source_timeout, what)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def request_timeout(self) -> float:
        left = self.left()
        if left <= 0:
            raise IvbError(f"{self.what}: no complete answer within the source's time limit — try again later, "
                           f"or allow more time with --source-timeout")
        return max(0.5, min(self.timeout, left))

    def renamed(self, what: str) -> Budget:
        """The same budget (deadline, URL log, session) under another name for messages."""
        b = Budget(self.timeout, self.deadline, what)
        b.urls, b._session, b.parent = self.urls, self.session, getattr(self, "parent", None) or self
        b.notes, b.next_hosts = self.notes, self.next_hosts
        return b

    def note(self, line: str, warn: bool = True) -> None:
        """One line about something the service does differently from what ivb assumes (once)."""
        item = (f"{self.what}: {line}", warn)
        if item not in self.notes:
            self.notes.append(item)

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = make_session(self.deadline)
        return self._session

    def count(self, n_bytes: int, retried: bool = False) -> None:
        top = getattr(self, "parent", None) or self
        top.bytes += n_bytes
        top.retries += int(retried)


def make_session(deadline: float | None = None, retries: int = RETRIES, backoff: float = BACKOFF) -> requests.Session:
    retry = DeadlineRetry(total=retries + 1, connect=retries, read=retries, status=retries, other=0,
                          backoff_factor=backoff, status_forcelist=RETRY_STATUS, allowed_methods=frozenset({"GET", "HEAD"}),
                          raise_on_status=False, respect_retry_after_header=True)
    retry.deadline = deadline
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def proxy_for(url: str) -> str | None:
    """The proxy that requests would use for `url` (HTTPS_PROXY / HTTP_PROXY), if any."""
    proxies = urllib.request.getproxies()
    if urllib.request.proxy_bypass(urlparse(url).hostname or ""):
        return None
    return proxies.get(urlparse(url).scheme)


def base_url(setting: dict, default_key: str = "base_url") -> str:
    """The base URL of a source: the environment variable named by `env` when set (checked:
    one line naming the variable when it is not a web address), else the configured one."""
    var = setting.get("env") or ""
    value = os.environ.get(var, "") if var else ""
    if not value:
        return str(setting[default_key]).rstrip("/")
    parsed = urlparse(value.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in value.strip():
        raise IvbError(f"{var}={value!r} is not a web address — write the full base URL, e.g. "
                       f"{setting[default_key]} or http://127.0.0.1:8000, or unset {var}")
    return value.strip().rstrip("/")


def _kind(resp: requests.Response, body: bytes) -> str:
    ctype = resp.headers.get("Content-Type", "").lower()
    head = body[:512].lstrip().lower()
    if "html" in ctype or head.startswith(b"<!doctype html") or head.startswith(b"<html"):
        return "html"
    return "json"


MAX_BODY = 256 * 1024 * 1024   # bytes of one JSON answer: a page of 10,000 rows of a few columns is a few MB


def read_body(resp: requests.Response, budget: Budget, limit: int | None = None, sink=None) -> bytes:
    """The body of a streamed response, bounded in size and in time: the source's deadline bounds the
    whole transfer, not only each read (a server that sends a byte every half second never passes a
    per-read timeout). Reads return whatever has arrived (urllib3's read1), so the deadline is checked
    between small reads. With `sink` (a file), the body is written there and b"" returned."""
    limit = MAX_BODY if limit is None else limit
    parts, total = [], 0
    raw = resp.raw
    try:
        while True:
            if budget.left() <= 0:
                raise IvbError(f"{budget.what}: no complete answer within the source's time limit (the transfer was "
                               f"still going) — the cache is kept; try again later, or allow more time with --source-timeout")
            try:
                chunk = raw.read1(1 << 16, decode_content=True) if hasattr(raw, "read1") else \
                    raw.read(1 << 16, decode_content=True)
            except urllib3.exceptions.ReadTimeoutError as exc:   # as requests would raise them
                raise requests.exceptions.ConnectionError(f"Read timed out ({exc})") from None
            except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError, OSError) as exc:
                raise requests.exceptions.ChunkedEncodingError(f"transfer cut off ({exc})") from None
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise IvbError(f"{budget.what}: the answer is larger than {limit // (1024 * 1024):,} MB — not what ivb asked "
                               f"for (a broken or hostile answer); the cache is kept")
            if sink is not None:
                sink.write(chunk)
            else:
                parts.append(chunk)
    finally:
        resp.close()
    return b"".join(parts)


def get_json(url: str, budget: Budget):
    """GET `url` and parse its JSON body. Connection errors, resets and HTTP 429/5xx are retried
    by the session; a body cut off (or not complete JSON) is asked for again; an HTML page
    (a maintenance page, a login portal) is named as such. Every failure is one line (IvbError)."""
    attempt = 0
    while True:
        try:
            resp = budget.session.get(url, timeout=budget.request_timeout(), stream=True)
            resp.raise_for_status()
            body = read_body(resp, budget)
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            if attempt < BODY_RETRIES and budget.left() > 1:
                attempt += 1
                budget.count(0, retried=True)
                time.sleep(min(BACKOFF * 2 ** attempt, max(0.0, budget.left() - 1)))
                continue
            raise failure(exc, budget.what, budget.timeout, url) from None
        except NETWORK_ERRORS as exc:
            raise failure(exc, budget.what, budget.timeout, url) from None
        budget.count(len(body))
        if _kind(resp, body) == "html":
            raise IvbError(f"{budget.what}: the service sent a web page (HTML) instead of data — probably maintenance "
                           f"or an outage; the cache is kept; try again later")
        try:
            return json.loads(body.decode(resp.encoding or "utf-8", errors="strict") if body else "")
        except (ValueError, UnicodeDecodeError):
            if attempt < BODY_RETRIES and budget.left() > 1:
                attempt += 1
                budget.count(0, retried=True)
                time.sleep(min(BACKOFF * 2 ** attempt, max(0.0, budget.left() - 1)))
                continue
            raise IvbError(f"{budget.what}: the answer is not complete JSON ({len(body):,} bytes, also when asked again) "
                           f"— the transfer was cut off or the service is failing; the cache is kept; try again later") from None
