"""How a WHMCS action travels: one pooled HTTP session, bounded retries, one deadline for the whole action,
a bounded reply size, failures typed by cause.

A transport hands back WHMCS's reply uninterpreted; what it means is decided in `bot.core.whmcs_replies`.
"""

from __future__ import annotations

import contextlib
import ctypes
import heapq
import itertools
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import urlencode

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from bot.core.errors import WhmcsReplyTooLarge, WhmcsUnavailable
from bot.core.php_output import ObjectHook, json_reply
from bot.core.whmcs_replies import CreditRows
from bot.outbound import post, session_over
from bot.settings import WhmcsSettings, shown_url
from bot.telemetry.logs import event

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = (500, 502, 503, 504)
FORM = "application/x-www-form-urlencoded"


class Transport(Protocol):
    """Sends one API action and returns the decoded JSON reply (or raises WhmcsError)."""

    def __call__(self, action: str, fields: dict[str, str]) -> object: ...


PHP_OUTPUT_WARNING_INTERVAL = 600.0
"""Seconds between two `whmcs_php_output` warnings: each reply carries the messages, the log needs one."""


class PhpOutputNotices:
    """Counts the replies in which PHP printed its own messages around the JSON, and tells the operator at
    most once per PHP_OUTPUT_WARNING_INTERVAL (per process) to switch `display_errors` off."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._warned_at: float | None = None
        self.seen = 0
        self.last_message: str | None = None

    def saw(self, message: str) -> None:
        with self._lock:
            self.seen += 1
            self.last_message = message
            now = self._clock()
            due = self._warned_at is None or now - self._warned_at >= PHP_OUTPUT_WARNING_INTERVAL
            if due:
                self._warned_at = now
        if due:
            event(
                logger,
                "whmcs_php_output",
                logging.WARNING,
                php_message=message,
                advice="WHMCS's PHP prints its messages into API replies: switch display_errors off in "
                "WHMCS's PHP settings",
            )


php_output = PhpOutputNotices()


class Deadline:
    """The one deadline of a WHMCS action, from the first connection attempt to the last byte of the reply,
    retries included.

    requests' timeout bounds each socket operation, not the call: a WHMCS that trickles its body a byte at a
    time, or a chunked body that never ends, never lets one read wait long enough to time out. So every socket
    the action uses is watched (a duplicate of its descriptor is kept), and when the deadline passes the
    process's one `DeadlineWatcher` shuts those sockets down: the blocked read returns at once, the action
    fails as a timeout and its connection is dropped, not returned to the pool.
    """

    def __init__(self, seconds: float, watcher: DeadlineWatcher | None = None) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self._watcher = watcher if watcher is not None else deadlines
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self.passed = False
        self.settled = False
        """Set when the action is over: the watcher then skips it."""

    def remaining(self) -> float:
        return max(self.ends - time.monotonic(), 0.0)

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down when the deadline passes (at once if it has). A duplicate descriptor, because
        urllib3 may close its own (and the number be reused) before the deadline; shutdown acts on the
        connection, whichever descriptor names it, and TLS wraps the same connection."""
        copy = socket.socket(sock.family, sock.type, sock.proto, fileno=os.dup(sock.fileno()))
        with self._lock:
            self._watched.append(copy)
            if self.passed:
                _shut(copy)

    def expire(self) -> None:
        """The deadline passed: shut every watched socket, unless the action is over."""
        with self._lock:
            if self.settled:
                return
            self.passed = True
            for sock in self._watched:
                _shut(sock)

    def __enter__(self) -> Self:
        _current.deadline = self
        self._watcher.add(self)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        _current.deadline = None
        with self._lock:
            self.settled = True
            for sock in self._watched:
                sock.close()
            self._watched.clear()


class DeadlineWatcher:
    """One thread that expires every WHMCS action's Deadline when its time comes.

    A timer thread per action (threading.Timer) started a thread for every WHMCS call, and
    `Thread.start()` waits until the new thread has run: under a burst of 400 calls, with hundreds of
    threads wanting the interpreter, those starts held the calls back by seconds before they reached
    WHMCS. Here the deadlines wait in a heap, soonest first, and one daemon thread sleeps until the soonest.
    Settled deadlines stay in the heap until their time and are then dropped unseen, so the heap holds at
    most the calls of one WHMCS_TIMEOUT. The thread starts with the first deadline of a process (again in
    a forked child, which has none of its parent's threads).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._due = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._counter = itertools.count()
        self._thread: threading.Thread | None = None
        os.register_at_fork(after_in_child=self._forget_parent)

    def add(self, deadline: Deadline) -> None:
        with self._due:
            heapq.heappush(self._heap, (deadline.ends, next(self._counter), deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="whmcs-deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is deadline:
                self._due.notify()

    def _run(self) -> None:
        while True:
            with self._due:
                while not self._heap or self._heap[0][0] > self._clock():
                    self._due.wait(self._heap[0][0] - self._clock() if self._heap else None)
                _, _, deadline = heapq.heappop(self._heap)
            deadline.expire()

    def _forget_parent(self) -> None:
        self._due = threading.Condition()
        self._heap = []
        self._thread = None


deadlines = DeadlineWatcher()
"""The process's watcher, shared by every HttpTransport."""


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed by the other end already: nothing left to stop
        sock.shutdown(socket.SHUT_RDWR)


_current = threading.local()
"""The deadline of the action this thread is running: urllib3 opens and reuses connections in the calling
thread, so the connection classes below find it here."""


def _watch(sock: socket.socket | None) -> None:
    deadline: Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None and sock is not None:
        deadline.watch(sock)


class _WatchedHTTPConnection(HTTPConnection):
    """An HTTP connection whose socket the running action's Deadline can shut, new or reused. For TLS
    (the subclass below) the plain socket is watched before TLS wraps it: shutting it ends the TLS read."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    """urllib3's HTTPSConnection is an HTTPConnection, so the watching methods above come first."""


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter, with pools whose connections the action's Deadline can shut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


SLOT_WAIT_DEADLINES = 3
"""How many WHMCS_TIMEOUTs a call may wait for a free slot. A burst (8 x BOT_CONCURRENCY lookups share
2 x BOT_CONCURRENCY slots) queues a few calls deep behind a slow WHMCS; those are served, not failed, while
a call still waiting after this long is told WHMCS did not answer."""


def longest_call(whmcs_timeout: float) -> float:
    """The longest one WHMCS action can take through HttpTransport: waiting for a slot, then its deadline."""
    return (SLOT_WAIT_DEADLINES + 1) * whmcs_timeout


READ_CHUNK = 64 * 1024


def read_limited(response: requests.Response, limit: int) -> bytearray:
    """The body, decoded as sent (gzip, deflate), read a chunk at a time and abandoned as soon as it passes
    `limit` bytes: a 200 MB reply or a gzip bomb is never held whole. A Content-Length over the limit (of
    a body sent without compression) fails before anything is read."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and not response.headers.get("Content-Encoding") and int(declared) > limit:
        raise WhmcsReplyTooLarge(int(declared), limit)
    body = bytearray()
    for chunk in response.raw.stream(READ_CHUNK, decode_content=True):
        body += chunk
        if len(body) > limit:
            raise WhmcsReplyTooLarge(len(body), limit)
    return body


def _credit_rows() -> ObjectHook:
    return CreditRows().rows_hook


ROW_HOOKS: dict[str, Callable[[], ObjectHook]] = {"GetCredits": _credit_rows}
"""The actions whose rows are read as they are decoded, so that a long reply never exists as a dict per
row (`CreditRows`)."""


def decode_reply(
    body: bytes | bytearray, status: int, hooks: Callable[[], ObjectHook] | None = None
) -> object:
    """WHMCS's JSON whatever the HTTP status (login failures come as 403 with a JSON body).

    Numbers are parsed as Decimal so that no amount ever passes through float. PHP's own messages around
    the JSON (`display_errors` on) are set aside and reported to `php_output`. A bytearray body is emptied
    once it is text, so its bytes (up to WHMCS_MAX_REPLY_MB) are not held while the JSON is decoded.
    """
    text = body.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    if isinstance(body, bytearray):
        body.clear()
    reply = json_reply(text, hooks)
    if reply is not None:
        if reply.php_message is not None:
            php_output.saw(reply.php_message)
        return reply.value
    if status >= 400:
        raise WhmcsUnavailable(f"HTTP {status} without a JSON body", cause="http_status")
    if text.startswith("<"):
        raise WhmcsUnavailable("answered with HTML or XML instead of JSON", cause="not_json")
    raise WhmcsUnavailable("answered with a body that is not JSON (truncated?)", cause="not_json")


M_MMAP_THRESHOLD = -3
"""glibc's `mallopt` parameter: requests of at least this many bytes get their own mapping."""
MMAP_THRESHOLD = 128 * 1024
"""glibc's own starting value, fixed: fixing it also turns off glibc's raising of it (up to 32 MB)."""


def map_large_buffers() -> bool:
    """Make glibc give every buffer of 128 KiB or more (a reply's bytes, its text, a log's lists) its own
    mapping, returned to the system when freed; False where the C library has no `mallopt` (musl, macOS).

    By default glibc raises that threshold to the size of the largest mapped buffer freed so far, so after
    the first long reply, the next ones' 23 MB bytes and text are carved from the heaps of the threads that
    read them, and the holes they leave stay resident. Measured with `python -m benchmarks.hostile --cases
    large` (200,000-entry logs, one process): three lookups at once peaked at 363 to 432 MB and four at
    458 to 529 MB; with the threshold fixed, 288 to 325 MB and 395 to 435 MB.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


class HttpTransport:
    """POSTs form-encoded API calls. Credentials travel only in the body, never in a URL or a log line.

    Retries go through urllib3: connection errors up to twice, a 5xx once, never a read timeout (the
    request may have reached WHMCS) and never an error WHMCS answered (an authentication failure retried
    would count towards WHMCS's ban after 3 failed logins). All of it happens within one Deadline of
    WHMCS_TIMEOUT seconds from the moment the call has its slot, and the reply is read up to
    WHMCS_MAX_REPLY_MB. Waiting for a slot is bounded too, by SLOT_WAIT_DEADLINES deadlines: no call holds a
    slot longer than one, so only a queue several calls deep waits that long, and then fails as a timeout.
    Redirects are not followed: a 307 or 308 would send the credentials again to wherever it points, even
    plain http, so a redirect is an error that names its target.
    A 5xx that persists comes back as the last response (`raise_on_status=False`), so it is explained from
    its status like any other reply, not from urllib3's retry error.

    At most `pool_size` requests are in flight at once (one per pooled connection); more callers wait for a
    slot, so a burst of lookups queues here instead of landing on WHMCS all at once. The process's large
    buffers are mapped on their own (`map_large_buffers`), as long replies come through here.
    """

    def __init__(self, settings: WhmcsSettings, pool_size: int = 10) -> None:
        map_large_buffers()
        self._slots = threading.BoundedSemaphore(pool_size)
        self._url = settings.api_url
        self._deadline = settings.whmcs_timeout
        self._max_reply = int(settings.whmcs_max_reply_mb * 1_000_000)
        self._timeout = (
            min(settings.whmcs_timeout, max(settings.whmcs_timeout / 4, 1.0)),
            settings.whmcs_timeout,
        )
        self._credentials = {
            "identifier": settings.whmcs_identifier.get_secret_value(),
            "secret": settings.whmcs_secret.get_secret_value(),
            "responsetype": "json",
        }
        if settings.whmcs_access_key is not None:
            self._credentials["accesskey"] = settings.whmcs_access_key.get_secret_value()
        retry = Retry(
            total=2,
            connect=2,
            read=False,
            status=1,
            other=0,
            allowed_methods=frozenset({"POST"}),
            status_forcelist=RETRYABLE_STATUSES,
            backoff_factor=0.25,
            respect_retry_after_header=False,
            raise_on_status=False,
        )
        adapter = _WatchedAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=retry)
        self._session = session_over(adapter)

    def __call__(self, action: str, fields: dict[str, str]) -> object:
        if not self._slots.acquire(timeout=SLOT_WAIT_DEADLINES * self._deadline):
            raise self._timed_out()
        try:
            with Deadline(self._deadline) as deadline:
                return self._post(action, fields, deadline)
        finally:
            self._slots.release()

    def close(self) -> None:
        self._session.close()

    def _timed_out(self) -> WhmcsUnavailable:
        return WhmcsUnavailable(f"no complete answer within {self._deadline:g} s", cause="timeout")

    def _post(self, action: str, fields: dict[str, str], deadline: Deadline) -> object:
        started = time.monotonic()
        try:
            response = post(
                self._session,
                self._url,
                urlencode({"action": action, **self._credentials, **fields}).encode(),
                FORM,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
            )
        except (requests.ConnectTimeout, requests.ReadTimeout):
            raise self._timed_out() from None
        except requests.exceptions.SSLError as error:
            if deadline.passed:
                raise self._timed_out() from None
            raise WhmcsUnavailable(f"TLS handshake failed ({tls_reason(str(error))})", cause="tls") from None
        except requests.ConnectionError as error:
            if deadline.passed:
                raise self._timed_out() from None
            raise connection_failure(str(error)) from None
        except requests.RequestException as error:
            if deadline.passed:
                raise self._timed_out() from None
            raise WhmcsUnavailable(type(error).__name__, cause="connection") from None
        with response:
            if response.is_redirect:
                raise WhmcsUnavailable(
                    f"HTTP {response.status_code} redirect to "
                    f"{redirect_target(response.headers['Location'])}: "
                    "set WHMCS_URL to the address WHMCS redirects to",
                    cause="http_status",
                )
            try:
                body = read_limited(response, self._max_reply)
            except (urllib3.exceptions.HTTPError, OSError) as error:
                if deadline.passed or isinstance(error, urllib3.exceptions.ReadTimeoutError):
                    raise self._timed_out() from None
                raise WhmcsUnavailable("the reply broke off before its end", cause="connection") from None
        logger.debug(
            "whmcs call action=%s status=%s bytes=%d ms=%d",
            action,
            response.status_code,
            len(body),
            (time.monotonic() - started) * 1000,
        )
        return decode_reply(body, response.status_code, ROW_HOOKS.get(action))


def redirect_target(location: str) -> str:
    """Where a redirect points, as much as the operator needs to fix WHMCS_URL and nothing more."""
    try:
        return shown_url(location)
    except ValueError:
        return "an unreadable address"


def connection_failure(text: str) -> WhmcsUnavailable:
    """Classify requests' ConnectionError text (urllib3 wraps the cause in its message)."""
    if "NameResolution" in text or "Name or service not known" in text or "getaddrinfo" in text:
        return WhmcsUnavailable("the WHMCS host name could not be resolved (DNS)", cause="dns")
    if "Connection refused" in text:
        return WhmcsUnavailable("connection refused", cause="refused")
    return WhmcsUnavailable("could not connect", cause="connection")


_TLS_VERIFY = re.compile(r"certificate verify failed: ([^(']+)")


def tls_reason(text: str) -> str:
    """OpenSSL's reason for refusing the certificate (`self-signed certificate`, `Hostname mismatch, ...`)."""
    found = _TLS_VERIFY.search(text)
    if found:
        return f"certificate not trusted: {found.group(1).strip().rstrip('.')}"
    if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
        return "the server did not answer TLS: is it plain http?"
    return "certificate not trusted?"
