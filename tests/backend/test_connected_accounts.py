"""Connected accounts: ``current_user.connected_accounts()``, ``provider_access_token`` and its typed errors,
and the link route that connects a provider (or more scopes) and comes back, the user still signed in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, redirect, request

from flask_stackauth import (
    OAuthConnectionDoesNotHaveRequiredScope,
    OAuthConnectionNotConnectedToUser,
    StackAuth,
    current_user,
    login_required,
)
from flask_stackauth.tokens import load_tokens
from tests.helpers import callback_for, local_path, query_of, sign_in


@pytest.fixture
def app(stackauth_config: dict[str, Any]) -> Flask:
    app = Flask("connected")
    app.config.update(SECRET_KEY="k" * 40, TESTING=True, **stackauth_config)
    stack = StackAuth(app)

    @app.get("/repos")
    @login_required
    def repos() -> Any:
        provider = request.args.get("provider", "github")
        try:
            token = current_user.provider_access_token(provider, scopes=["repo"])
        except (OAuthConnectionNotConnectedToUser, OAuthConnectionDoesNotHaveRequiredScope) as exc:
            return redirect(stack.link_provider_url(exc.provider or provider, exc.scopes,
                                                    next=request.full_path.rstrip("?")))
        return {"token_length": len(token), "user": current_user.id}

    @app.get("/accounts")
    @login_required
    def accounts() -> Any:
        return {"providers": [(a.provider, a.provider_account_id) for a in current_user.connected_accounts()]}

    @app.get("/raw")
    @login_required
    def raw() -> Any:
        try:
            current_user.provider_access_token("github", scopes=["repo", "admin:org"])
        except OAuthConnectionDoesNotHaveRequiredScope as exc:
            return {"provider": exc.provider, "scopes": list(exc.scopes or ())}
        return {}

    return app


def _session_tokens(client: Any) -> Any:
    with client.session_transaction() as session:
        return load_tokens(session)


def test_a_missing_scope_links_it_and_comes_back_signed_in_as_the_same_user(client: Any) -> None:
    assert sign_in(client, "octo@example.com").status_code == 302
    before = _session_tokens(client)
    assert client.get("/accounts").json == {"providers": [["github", "octo@example.com"]]}

    to_link = client.get("/repos")
    assert to_link.status_code == 302
    assert to_link.headers["Location"].startswith("/auth/link/github?")
    authorize = client.get(to_link.headers["Location"])
    assert authorize.status_code == 302
    query = query_of(authorize.headers["Location"])
    assert query["type"] == "link" and query["provider_scope"] == "repo"
    assert query["code_challenge_method"] == "S256" and query["state"]
    back = client.get(callback_for(authorize.headers["Location"], "octo@example.com"))
    assert back.status_code == 302 and back.headers["Location"] == "/repos"
    after = _session_tokens(client)
    assert after.refresh_token == before.refresh_token  # the same session: never signed in as someone else
    granted = client.get("/repos")
    assert granted.status_code == 200 and granted.json["token_length"] > 20


def test_a_provider_never_connected_is_linked_as_a_second_account(client: Any) -> None:
    sign_in(client, "two@example.com")
    to_link = client.get("/repos?provider=spotify")
    assert to_link.headers["Location"].startswith("/auth/link/spotify?")
    authorize = client.get(to_link.headers["Location"]).headers["Location"]
    back = client.get(callback_for(authorize, "two@example.com"))
    assert local_path(back.headers["Location"]) == "/repos?provider=spotify"
    providers = client.get("/accounts").json["providers"]
    assert sorted(p[0] for p in providers) == ["github", "spotify"]


def test_linking_needs_a_signed_in_user(client: Any) -> None:
    response = client.get("/auth/link/github?scope=repo")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    api = client.get("/auth/link/github", headers={"Accept": "application/json"})
    assert api.status_code == 401


@pytest.mark.parametrize("path", ["/auth/link/github?scope=" + "a" * 300, "/auth/link/github?scope=%00",
                                  "/auth/link/NOT!valid", "/auth/link/nope"])
def test_bad_link_requests_are_4xx(client: Any, path: str) -> None:
    sign_in(client, "bad@example.com")
    response = client.get(path)
    assert 400 <= response.status_code < 500
    assert response.status_code != 302


def test_the_error_carries_provider_and_scopes(client: Any) -> None:
    sign_in(client, "err@example.com")
    assert client.get("/raw").json == {"provider": "github", "scopes": ["repo", "admin:org"]}


def test_the_connections_page_offers_connect_for_enabled_providers_not_connected(client: Any) -> None:
    sign_in(client, "page@example.com")
    page = client.get("/auth/account/connections").get_data(as_text=True)
    assert "Connect GitHub" not in page  # signed in with it already
    assert "/auth/link/spotify?next=/auth/account/connections" in page
    authorize = client.get("/auth/link/spotify?next=/auth/account/connections").headers["Location"]
    back = client.get(callback_for(authorize, "page@example.com"))
    assert back.headers["Location"] == "/auth/account/connections"
    page = client.get("/auth/account/connections").get_data(as_text=True)
    assert "Spotify" in page and "/auth/link/spotify" not in page


def test_the_account_nav_marks_the_page_it_is_on_not_the_profile_above_it(client: Any) -> None:
    sign_in(client, "nav@example.com")
    page = client.get("/auth/account/connections").get_data(as_text=True)
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', page)
    assert current == ["/auth/account/connections"]
    assert 'href="/auth/account">Profile</a>' in page  # in the same sidebar, not marked
