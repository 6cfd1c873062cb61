"""Signing a test client in to the pages the way a browser does: the sign-in form, its
double-submit token, then the session cookie and the page's CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


def form_token(client: TestClient, path: str = "/ui/sign-in") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return _FORM_TOKEN.search(page.text).group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD, *, next_path: str = ""):
    """POST the sign-in form; returns the response (not followed)."""
    return client.post("/ui/sign-in", data={"name": name, "password": password,
                                            "csrf_token": form_token(client),
                                            "next": next_path}, follow_redirects=False)


def page_csrf(client: TestClient, path: str = "/ui/me") -> str:
    """The CSRF token a signed-in page carries in its ``<meta>`` tag."""
    return _CSRF_META.search(client.get(path).text).group(1)
