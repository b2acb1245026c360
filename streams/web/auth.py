"""Who may use the API and dashboard, and the headers every response carries.

Loopback by default; binding anywhere else requires ``web_token``. The token is
accepted as ``Authorization: Bearer <token>``, as ``?token=`` (then a cookie is
set and the browser is redirected to the same URL without it, so the token does
not linger in the address bar, history or logs) or as that cookie — an
EventSource cannot send headers. Comparison is constant-time.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from ..config import ConfigError, Settings

COOKIE = "wirewatch_token"
OPEN_PATHS = frozenset({"/healthz"})  # liveness probes carry no credentials

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# Scripts and styles only from our own files: even if a string slipped into the
# DOM as markup, an inline <script> or on* handler would not run.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def is_loopback(host: str) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_web_settings(settings: Settings) -> None:
    """Refuse to serve beyond loopback without a token (raises ConfigError)."""
    if not is_loopback(settings.web_host) and not settings.web_token:
        raise ConfigError(
            f"web_host={settings.web_host} is not a loopback address: set web_token "
            "(WIREWATCH_WEB_TOKEN) so the API and dashboard require it"
        )
    if settings.web_token is not None and len(settings.web_token) < 16:
        raise ConfigError("web_token must be at least 16 characters")


def token_matches(expected: str, supplied: str | None) -> bool:
    if supplied is None:
        return False
    return hmac.compare_digest(expected.encode(), supplied.encode())


def supplied_tokens(
    headers: Mapping[str, str], query: Mapping[str, str], cookies: Mapping[str, str]
) -> tuple[str | None, str | None, str | None]:
    """(bearer header, query parameter, cookie) as sent, each possibly None."""
    auth = headers.get("Authorization", "")
    bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
    return bearer, query.get("token"), cookies.get(COOKIE)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def middleware(
    settings: Settings,
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    token = settings.web_token

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if token is not None and request.path not in OPEN_PATHS:
            bearer, query, cookie = supplied_tokens(request.headers, request.query, request.cookies)
            if token_matches(token, query):
                clean = request.rel_url.without_query_params("token")
                response: web.StreamResponse = web.Response(
                    status=303, headers={"Location": str(clean)}
                )
                response.set_cookie(
                    COOKIE, token, httponly=True, samesite="Strict", path="/", max_age=86400
                )
                return _secured(response)
            if not (token_matches(token, bearer) or token_matches(token, cookie)):
                response = web.json_response(
                    {"error": "unauthorized", "detail": "a valid access token is required"},
                    status=401,
                    headers={"WWW-Authenticate": 'Bearer realm="wirewatch"'},
                )
                return _secured(response)
        response = await handler(request)
        return _secured(response)

    return guard


def _secured(response: web.StreamResponse) -> web.StreamResponse:
    if response.prepared:  # a stream (SSE) already sent its headers
        return response
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", CSP)
    return response
