"""What the OpenAPI schema says and what the API does agree: times are ISO 8601 text only,
405 answers name every method of the path, and every status a route returns is documented."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/calls", "/findings"])
@pytest.mark.parametrize("value", ["0.5", "1714557600", "yesterday"])
def test_a_time_that_is_not_iso_8601_is_refused(world, path, value):
    response = world.client.get(f"/api/v1{path}", params={"until": value},
                                headers=world.headers("admin"))
    assert response.status_code == 422, response.text


def test_an_iso_time_is_taken(world):
    response = world.client.get("/api/v1/calls", params={"until": "2024-05-10T00:00:00Z"},
                                headers=world.headers("admin"))
    assert response.status_code == 200 and response.json()["total"] == 1


def test_405_names_every_method_of_the_path(world):
    response = world.client.delete("/api/v1/calls", headers=world.headers("admin"))
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}


def test_a_duplicate_user_is_a_documented_409(world):
    body = {"name": "admin", "role": "admin"}
    response = world.client.post("/api/v1/users", json=body, headers=world.headers("admin"))
    assert response.status_code == 409
    schema = world.client.get("/api/v1/openapi.json").json()
    assert "409" in schema["paths"]["/api/v1/users"]["post"]["responses"]
