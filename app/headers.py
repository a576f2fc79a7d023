"""Security headers on every response: a nonce-based CSP, no framing, no sniffing, HSTS on HTTPS."""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, has_request_context, request

# 128 bits, as CSP Level 3 recommends; base64url keeps it inside the nonce-source grammar.
NONCE_BYTES = 16
ENVIRON_KEY = "app.csp_nonce"

# The pages load scripts, styles, fonts and images from this origin only. Styles allow
# 'unsafe-inline' because FAB's templates and widgets write style="…" attributes everywhere;
# scripts never do: an inline <script> runs only with this request's nonce, while inline event
# handlers (onclick=…), javascript: URLs and eval() do not run at all.
POLICY = (
    "default-src 'self'",
    "script-src 'self' 'nonce-{nonce}'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)

FIXED_HEADERS = {
    # frame-ancestors is the modern form; X-Frame-Options covers browsers that ignore it.
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Links out of the panel carry the origin only, never a path with record ids or a query.
    "Referrer-Policy": "strict-origin-when-cross-origin",
}

HSTS_DEFAULT_SECONDS = 365 * 24 * 3600


def csp_nonce() -> str:
    """This request's CSP nonce, made on first use; templates write it as ``nonce="…"``.

    Kept in the WSGI environ, not on ``flask.g``: an application context that is already
    active when a request starts (a test holding one) serves that request too, and would hand
    the same nonce to every response. Outside a request it is a fresh value no header announces.
    """
    if not has_request_context():
        return secrets.token_urlsafe(NONCE_BYTES)
    nonce: str | None = request.environ.get(ENVIRON_KEY)
    if nonce is None:
        nonce = secrets.token_urlsafe(NONCE_BYTES)
        request.environ[ENVIRON_KEY] = nonce
    return nonce


def content_security_policy(nonce: str) -> str:
    """The Content-Security-Policy header value for a response whose scripts carry ``nonce``."""
    return "; ".join(POLICY).replace("{nonce}", nonce)


def _hsts(app: Flask) -> str | None:
    """The Strict-Transport-Security value, or None when this request must not pin HTTPS.

    Sent on HTTPS requests, and always in production: there nginx terminates TLS, so the app
    sees plain HTTP while the browser is on HTTPS (browsers ignore the header over HTTP).
    ``HSTS_MAX_AGE = 0`` turns it off. No includeSubDomains: hosts below the panel's name may
    be other services, not ours to pin.
    """
    seconds = app.config.get("HSTS_MAX_AGE", HSTS_DEFAULT_SECONDS)
    if not seconds or not (request.is_secure or app.config.get("PRODUCTION")):
        return None
    return f"max-age={int(seconds)}"


def _add_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    for name, value in FIXED_HEADERS.items():
        response.headers[name] = value
    hsts = _hsts(current_app)
    if hsts:
        response.headers["Strict-Transport-Security"] = hsts
    return response


def register_security_headers(app: Flask) -> None:
    """Put the security headers on every response and offer ``csp_nonce()`` to templates.

    FAB's own templates already write ``nonce="{{ baselib.get_nonce() }}"`` on their scripts
    when a ``csp_nonce`` global exists (the Flask-Talisman convention), so this one global
    covers them and ours alike. Error pages, redirects and static files pass through
    ``after_request`` too.
    """
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(_add_headers)
