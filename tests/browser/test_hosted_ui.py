"""The console's AWS sign-in (Cognito Hosted UI, authorization code + PKCE) in a real browser, against a fake
authorize and token endpoint served by this test through Playwright's routing (nothing of it is in the
product). The fake checks what Cognito checks: the client, the redirect URI, S256, a code that works once,
and that SHA-256 of the verifier the console sends to the token endpoint is the challenge it sent to
authorize. Its ID token is minted by the local stack, so the console then works against the real local API.

What only AWS can show is not here: Cognito's own pages, its CORS on /oauth2/token, the deployed CSP (this
context bypasses CSP, since the fake host is not the amazoncognito.com the deployed CSP allows).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = [pytest.mark.ddblocal, pytest.mark.browser]

HOSTED_UI = "auth.chairside.test"
CLIENT_ID = "console-client-id"


def _one(query: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(query).items()}


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _local_token(stack: str, sub: str) -> str:
    body = json.dumps({"org": "org_demo", "role": "coordinator", "locations": ["*"], "sub": sub}).encode()
    request = urllib.request.Request(f"{stack}/local/token", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - the test's own local stack
        return json.load(answer)["token"]


def test_hosted_ui_sign_in_with_pkce(stack, browser):
    redirect = f"{stack}/console/"
    config = {"mode": "cognito", "api_base": "", "cognito": {
        "domain": HOSTED_UI, "client_id": CLIENT_ID, "redirect_uri": redirect, "scopes": "openid email profile"}}
    authorized: dict[str, dict[str, str]] = {}  # code -> the authorize request's parameters
    exchanges: list[tuple[dict[str, str], int]] = []
    logouts: list[dict[str, str]] = []
    cors = {"Access-Control-Allow-Origin": stack}

    def authorize(route) -> None:
        asked = _one(urlsplit(route.request.url).query)
        code = secrets.token_urlsafe(12)
        authorized[code] = asked
        route.fulfill(status=302, headers={"Location": f"{asked['redirect_uri']}?code={code}&state={asked['state']}"})

    def token(route) -> None:
        form = _one(route.request.post_data or "")
        asked = authorized.pop(form.get("code", ""), None)  # a code works once
        good = (asked is not None and form.get("grant_type") == "authorization_code"
                and form.get("client_id") == asked["client_id"] == CLIENT_ID
                and form.get("redirect_uri") == asked["redirect_uri"] == redirect
                and asked["code_challenge_method"] == "S256"
                and _s256(form.get("code_verifier", "")) == asked["code_challenge"])
        exchanges.append((form, 200 if good else 400))
        if not good:
            route.fulfill(status=400, json={"error": "invalid_grant"}, headers=cors)
            return
        route.fulfill(json={"id_token": _local_token(stack, "hosted-ui-user"), "access_token": "not-used",
                            "token_type": "Bearer", "expires_in": 3600}, headers=cors)

    def logout(route) -> None:
        logouts.append(_one(urlsplit(route.request.url).query))
        route.fulfill(body="<!doctype html><title>Signed out</title><p>Signed out</p>", content_type="text/html")

    context = browser.new_context(bypass_csp=True, viewport={"width": 1440, "height": 900})
    context.route(f"{stack}/console/config.json", lambda route: route.fulfill(json=config))
    context.route(f"https://{HOSTED_UI}/oauth2/authorize?*", authorize)
    context.route(f"https://{HOSTED_UI}/oauth2/token", token)
    context.route(f"https://{HOSTED_UI}/logout?*", logout)
    page = context.new_page()

    # A forged answer (a state this browser never sent) is refused before any token request.
    page.goto(f"{redirect}?code=stolen&state=forged")
    page.get_by_text("does not match this browser's request").wait_for()
    assert exchanges == []

    page.goto(redirect)
    page.get_by_role("button", name="Sign in with your clinic account").click()
    page.get_by_role("heading", name="Worklist").wait_for()
    page.get_by_text("hosted-ui-user · coordinator · org_demo").wait_for()
    ((form, status),) = exchanges
    assert status == 200, form
    assert 43 <= len(form["code_verifier"]) <= 128  # RFC 7636
    assert "code=" not in page.url, "the spent code is taken out of the address"

    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("Signed out").wait_for()
    assert logouts == [{"client_id": CLIENT_ID, "logout_uri": redirect}]
    context.close()
