"""Small HTTP clients over the standard library that time every request.

``WebSession`` behaves like a browser on the panel (session cookie, the login form and its CSRF
token); ``ApiSession`` signs in at ``/api/v1/security/login`` and sends the JWT. Each keeps one
``http.client`` connection alive between requests (gunicorn's sync workers close it after every
response; it is then reopened transparently). Redirects are not followed.

A session is not thread-safe: give every thread (simulated user) its own.

Usage::

    web = WebSession(served.base_url)
    web.login("pds_clerk", "Demo@2026")
    page = web.get("/procurementplanview/list/")
    reply = web.post_form("/procurementplanview/add", {...}, csrf_from="/procurementplanview/add")

    api = ApiSession(served.base_url)
    api.login("pds_internal", "Demo@2026")
    tasks = api.get("/api/v1/tasks/").json()["result"]
"""

from __future__ import annotations

import http.client
import json
import re
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
# A reused keep-alive connection the server has closed meanwhile fails like this before any
# answer: the request was not processed and is sent again once on a new connection.
STALE_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest)


class LoginFailed(RuntimeError):
    """The server refused the sign-in; ``reply`` is its answer."""

    def __init__(self, message: str, reply: Reply) -> None:
        super().__init__(message)
        self.reply = reply


@dataclass
class Reply:
    """One answer, with the wall time the request took."""

    status: int
    body: bytes
    seconds: float
    """Wall time from sending the request to the end of the body."""
    headers: dict[str, str] = field(default_factory=dict)
    """Response headers, names in lower case (repeated headers joined with ", ")."""

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        """The ``Location`` of a redirect ("" otherwise)."""
        return self.headers.get("location", "")


class HttpSession:
    """One keep-alive connection to ``base_url`` with a cookie jar."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"only http://host:port is supported, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {"Accept-Language": "zh-CN,zh;q=0.9"}
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> HttpSession:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        """Send one request and read the whole answer; cookies are kept, redirects not followed.

        :param path: absolute path on the server, e.g. ``/api/v1/tasks/``
        """
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        start = time.perf_counter()
        for attempt in (1, 2):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port,
                                                        timeout=self.timeout)
            try:
                self._conn.request(method, path, body=body, headers=sent)
                response = self._conn.getresponse()
                data = response.read()
                break
            except STALE_CONNECTION:
                self.close()
                if attempt == 2 or not reused:
                    raise
            except BaseException:
                self.close()
                raise
        seconds = time.perf_counter() - start
        if response.will_close:
            self.close()
        self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
        merged: dict[str, str] = {}
        for name, value in response.getheaders():
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        return Reply(response.status, data, seconds, merged)

    def _keep_cookies(self, lines: list[str]) -> None:
        for line in lines:
            jar = SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                expired = morsel["max-age"] == "0" or (
                    morsel["expires"] and "1970" in morsel["expires"])
                if expired or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path: str) -> Reply:
        """``GET path``."""
        return self.request("GET", path)


class WebSession(HttpSession):
    """A browser-like session on the panel's pages (cookie session, CSRF tokens)."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        super().__init__(base_url, timeout)
        self.csrf_token: str | None = None
        """The last CSRF token read from a page; valid for every form of this session."""

    def csrf(self, path: str) -> str:
        """Open the page at ``path`` and keep and return the CSRF token of its form.

        :raises LookupError: when the page has no form token
        """
        page = self.get(path)
        found = CSRF.search(page.text)
        if not found:
            raise LookupError(f"no csrf_token on {path} (status {page.status})")
        self.csrf_token = found.group(1)
        return self.csrf_token

    def login(self, username: str, password: str) -> Reply:
        """Sign in through the login form (``/login/``); returns the redirect that follows.

        :raises LoginFailed: when the answer is not a redirect away from the login page
        """
        self.cookies.clear()
        reply = self.post_form("/login/", {"username": username, "password": password},
                               csrf_from="/login/")
        if reply.status != 302 or "/login" in reply.location:
            raise LoginFailed(f"web login of {username} refused (status {reply.status})", reply)
        return reply

    def post_form(self, path: str, data: dict[str, Any], csrf_from: str | None = None) -> Reply:
        """Post ``data`` urlencoded (lists become repeated fields) with a CSRF token.

        :param csrf_from: a page to read a fresh token from first (usually the form's own
            page, as a browser would); None reuses the session's last token
        :raises LookupError: when there is no token to send
        """
        token = self.csrf(csrf_from) if csrf_from is not None else self.csrf_token
        if token is None:
            raise LookupError("no CSRF token yet: pass csrf_from")
        body = urlencode({"csrf_token": token, **data}, doseq=True).encode()
        return self.request("POST", path, body,
                            {"Content-Type": "application/x-www-form-urlencoded"})


class ApiSession(HttpSession):
    """A REST client signed in with a JWT (``Authorization: Bearer``)."""

    def login(self, username: str, password: str) -> Reply:
        """Sign in at ``/api/v1/security/login`` and send the access token from now on.

        :raises LoginFailed: when the answer is not 200 with an access token
        """
        self.headers.pop("Authorization", None)
        reply = self.post_json("/api/v1/security/login", {
            "username": username, "password": password, "provider": "db", "refresh": False})
        token = reply.json().get("access_token") if reply.status == 200 else None
        if not token:
            raise LoginFailed(f"API login of {username} refused (status {reply.status})", reply)
        self.headers["Authorization"] = f"Bearer {token}"
        return reply

    def post_json(self, path: str, payload: Any = None) -> Reply:
        """``POST path`` with ``payload`` as JSON (None: an empty body)."""
        body = b"" if payload is None else json.dumps(payload).encode()
        return self.request("POST", path, body, {"Content-Type": "application/json"})

    def put_json(self, path: str, payload: Any) -> Reply:
        """``PUT path`` with ``payload`` as JSON."""
        return self.request("PUT", path, json.dumps(payload).encode(),
                            {"Content-Type": "application/json"})
