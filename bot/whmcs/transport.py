"""How a WHMCS action travels: one pooled HTTP session, bounded retries, failures typed by cause.

A transport hands back WHMCS's reply uninterpreted; what it means is decided in `bot.core.whmcs_replies`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Protocol

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from bot.core.errors import WhmcsUnavailable
from bot.core.php_output import json_reply
from bot.settings import WhmcsSettings, shown_url
from bot.telemetry.logs import event

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = (500, 502, 503, 504)


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


def decode_reply(body: bytes, status: int) -> object:
    """WHMCS's JSON whatever the HTTP status (login failures come as 403 with a JSON body).

    Numbers are parsed as Decimal so that no amount ever passes through float. PHP's own messages around
    the JSON (`display_errors` on) are set aside and reported to `php_output`.
    """
    text = body.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    reply = json_reply(text)
    if reply is not None:
        if reply.php_message is not None:
            php_output.saw(reply.php_message)
        return reply.value
    if status >= 400:
        raise WhmcsUnavailable(f"HTTP {status} without a JSON body", cause="http_status")
    if text.startswith("<"):
        raise WhmcsUnavailable("answered with HTML or XML instead of JSON", cause="not_json")
    raise WhmcsUnavailable("answered with a body that is not JSON (truncated?)", cause="not_json")


class HttpTransport:
    """POSTs form-encoded API calls. Credentials travel only in the body, never in a URL or a log line.

    Retries go through urllib3: connection errors up to twice, a 5xx once, never a read timeout (the
    request may have reached WHMCS) and never an error WHMCS answered (an authentication failure retried
    would count towards WHMCS's ban after 3 failed logins). The worst case is about 2.25 x WHMCS_TIMEOUT.
    Redirects are not followed: a 307 or 308 would send the credentials again to wherever it points, even
    plain http, so a redirect is an error that names its target.
    A 5xx that persists comes back as the last response (`raise_on_status=False`), so it is explained from
    its status like any other reply, not from urllib3's retry error.

    At most `pool_size` requests are in flight at once (one per pooled connection); more callers wait for a
    slot, so a burst of lookups queues here instead of landing on WHMCS all at once.
    """

    def __init__(self, settings: WhmcsSettings, pool_size: int = 10) -> None:
        self._slots = threading.BoundedSemaphore(pool_size)
        self._url = settings.api_url
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
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=retry)
        self._session = requests.Session()
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._session.headers["User-Agent"] = "credits-bot"

    def __call__(self, action: str, fields: dict[str, str]) -> object:
        with self._slots:
            return self._post(action, fields)

    def close(self) -> None:
        self._session.close()

    def _post(self, action: str, fields: dict[str, str]) -> object:
        started = time.monotonic()
        try:
            response = self._session.post(
                self._url,
                data={"action": action, **self._credentials, **fields},
                timeout=self._timeout,
                allow_redirects=False,
            )
        except (requests.ConnectTimeout, requests.ReadTimeout):
            raise WhmcsUnavailable(f"no answer within {self._timeout[1]:g} s", cause="timeout") from None
        except requests.exceptions.SSLError as error:
            raise WhmcsUnavailable(f"TLS handshake failed ({tls_reason(str(error))})", cause="tls") from None
        except requests.ConnectionError as error:
            raise connection_failure(str(error)) from None
        except requests.RequestException as error:
            raise WhmcsUnavailable(type(error).__name__, cause="connection") from None
        logger.debug(
            "whmcs call action=%s status=%s ms=%d",
            action,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        if response.is_redirect:
            raise WhmcsUnavailable(
                f"HTTP {response.status_code} redirect to {redirect_target(response.headers['Location'])}: "
                "set WHMCS_URL to the address WHMCS redirects to",
                cause="http_status",
            )
        return decode_reply(response.content, response.status_code)


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
