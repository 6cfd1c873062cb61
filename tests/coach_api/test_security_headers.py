"""Every page and API response carries the browser security headers."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/ui/", "/ui/calls/x", "/static/app.js", "/api/v1/me", "/docs",
                                  "/ui/sign-in",
                                  "/api/v1/calls/nope"])
def test_responses_carry_the_security_headers(world, path):
    response = world.client.get(path, headers=world.headers("admin"))
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


def test_refusals_before_the_body_carry_them_too(world):
    response = world.client.post("/api/v1/users", content=b"{}",
                                 headers={"content-type": "application/json"})
    assert response.status_code == 401 and response.headers["x-frame-options"] == "DENY"


def test_pages_no_longer_take_a_token_from_a_link():
    from coach_api.routes.pages import PACKAGE_DIR

    script = (PACKAGE_DIR / "static" / "app.js").read_text()
    assert "location.hash" not in script
