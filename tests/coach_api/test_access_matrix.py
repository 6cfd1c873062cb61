"""Every route × every role, on a call of team blue / agent a1."""

from __future__ import annotations

import itertools

import pytest

from .synthetic import write_stereo

WHO = ("admin", "sup_blue", "sup_red", "agent_a1", "agent_a2", "trainer", None)
_upload_seed = itertools.count(100)


def upload(world, who):
    path = write_stereo(world.folder / f"up-{next(_upload_seed)}.wav", seed=next(_upload_seed),
                        duration_s=2.0)
    with open(path, "rb") as handle:
        return world.client.post("/api/v1/calls", headers=world.headers(who),
                                 files={"audio": (path.name, handle, "audio/wav")})


def new_user(world, who):
    return world.client.post("/api/v1/users", headers=world.headers(who),
                             json={"name": f"user-{next(_upload_seed)}", "role": "trainer"})


def collection(world) -> int:
    """A collection holding ev-1 of call-blue (made once per world)."""
    found = [c for c in world.store.list_collections() if c.name == "Examples"]
    if found:
        return found[0].id
    made = world.store.create_collection("Examples", description="", user_id=None, creator="x")
    world.store.add_collection_item(made.id, call_id="call-blue", finding_id="ev-1", note="",
                                    added_by="x")
    return made.id


def collection_item(world) -> tuple[int, int]:
    collection_id = collection(world)
    return collection_id, world.store.collection_items(collection_id)[0].id


def new_collection(world, who):
    return world.client.post("/api/v1/collections", headers=world.headers(who),
                             json={"name": f"set {next(_upload_seed)}"})


def delete_collection(world, who):
    return world.client.delete(f"/api/v1/collections/{collection(world)}",
                               headers=world.headers(who))


def add_item(world, who):
    return world.client.post(f"/api/v1/collections/{collection(world)}/items",
                             headers=world.headers(who),
                             json={"call_id": "call-blue", "finding_id": "ev-2"})


def remove_item(world, who):
    collection_id, item_id = collection_item(world)
    return world.client.delete(f"/api/v1/collections/{collection_id}/items/{item_id}",
                               headers=world.headers(who))


def item_clip(world, who):
    collection_id, item_id = collection_item(world)
    return world.client.get(f"/api/v1/collections/{collection_id}/items/{item_id}/clip",
                            headers=world.headers(who))


C = "/api/v1/calls/call-blue"


def reply(world, who):
    review = world.store.add_review("call-blue", user_id=None, reviewer="sup_blue", note="n")
    return world.client.post(f"{C}/review/{review.id}/replies", headers=world.headers(who),
                             json={"kind": "acknowledged"})

ROUTES = {  # name → request
    "me": lambda w, who: w.client.get("/api/v1/me", headers=w.headers(who)),
    "list_users": lambda w, who: w.client.get("/api/v1/users", headers=w.headers(who)),
    "create_user": new_user,
    "issue_token": lambda w, who: w.client.post("/api/v1/users/1/tokens", headers=w.headers(who)),
    "revoke_tokens": lambda w, who: w.client.delete(
        f"/api/v1/users/{w.store.get_user_by_name('trainer').id}/tokens", headers=w.headers(who)),
    "list_calls": lambda w, who: w.client.get("/api/v1/calls", headers=w.headers(who)),
    "upload": upload,
    "call": lambda w, who: w.client.get(C, headers=w.headers(who)),
    "report": lambda w, who: w.client.get(f"{C}/report", headers=w.headers(who)),
    "audio": lambda w, who: w.client.get(f"{C}/audio", headers=w.headers(who)),
    "clip": lambda w, who: w.client.get(f"{C}/events/ev-1/clip", headers=w.headers(who)),
    "post_review": lambda w, who: w.client.post(f"{C}/review", headers=w.headers(who),
                                                json={"note": "talked it through"}),
    "get_review": lambda w, who: w.client.get(f"{C}/review", headers=w.headers(who)),
    "reply_review": reply,
    "team": lambda w, who: w.client.get("/api/v1/agents", headers=w.headers(who)),
    "findings": lambda w, who: w.client.get("/api/v1/findings", headers=w.headers(who)),
    "summary": lambda w, who: w.client.get("/api/v1/agents/a1/summary", headers=w.headers(who)),
    "clips": lambda w, who: w.client.get(f"{C}/clips", headers=w.headers(who)),
    "collections": lambda w, who: w.client.get("/api/v1/collections", headers=w.headers(who)),
    "new_collection": new_collection,
    "collection": lambda w, who: w.client.get(f"/api/v1/collections/{collection(w)}",
                                              headers=w.headers(who)),
    "delete_collection": delete_collection,
    "add_item": add_item,
    "remove_item": remove_item,
    "item_clip": item_clip,
}

#               admin sup_blue sup_red agent_a1 agent_a2 trainer  none
EXPECTED = {
    "me":            (200, 200, 200, 200, 200, 200, 401),
    "list_users":    (200, 403, 403, 403, 403, 403, 401),
    "create_user":   (201, 403, 403, 403, 403, 403, 401),
    "issue_token":   (201, 403, 403, 403, 403, 403, 401),
    "revoke_tokens": (200, 403, 403, 403, 403, 403, 401),
    "list_calls":    (200, 200, 200, 200, 200, 403, 401),
    "upload":        (202, 202, 202, 403, 403, 403, 401),
    "call":          (200, 200, 404, 200, 404, 200, 401),
    "report":        (200, 200, 404, 200, 404, 200, 401),
    "audio":         (200, 200, 404, 200, 404, 403, 401),
    "clip":          (200, 200, 404, 200, 404, 200, 401),
    "post_review":   (201, 201, 404, 403, 403, 403, 401),
    "get_review":    (200, 200, 404, 200, 404, 403, 401),
    "reply_review":  (201, 201, 404, 201, 404, 403, 401),
    "team":          (200, 200, 200, 403, 403, 403, 401),
    "findings":      (200, 200, 200, 403, 403, 200, 401),
    "summary":       (200, 200, 404, 200, 404, 403, 401),
    "clips":         (200, 200, 404, 200, 404, 200, 401),
    # Collections are teaching material: every role opens them and hears their clips (masked
    # and bleeped) whatever the call's team; only curators change them, inside their scope.
    "collections":   (200, 200, 200, 200, 200, 200, 401),
    "new_collection": (201, 201, 201, 403, 403, 201, 401),
    "collection":    (200, 200, 200, 200, 200, 200, 401),
    "delete_collection": (204, 204, 204, 403, 403, 204, 401),
    "add_item":      (201, 201, 404, 403, 403, 201, 401),
    "remove_item":   (204, 204, 204, 403, 403, 204, 401),
    "item_clip":     (200, 200, 200, 200, 200, 200, 401),
}

CASES = [(route, who, EXPECTED[route][i]) for route in ROUTES for i, who in enumerate(WHO)]


def test_matrix_covers_every_api_route(world):
    documented = {(method.upper(), path) for path, item in world.client.app.openapi()["paths"].items()
                  for method in item if path != "/healthz"}
    assert len(documented) == len(ROUTES) == len(EXPECTED)


@pytest.mark.parametrize(("route", "who", "status"), CASES,
                         ids=[f"{route}-{who}" for route, who, _ in CASES])
def test_route_by_role(world, route, who, status):
    response = ROUTES[route](world, who)
    assert response.status_code == status, response.text


@pytest.mark.parametrize("who", ["agent_a2", "sup_red"])
@pytest.mark.parametrize("path", ["", "/report", "/audio", "/events/ev-1/clip",
                                  "/events/ev-999/clip", "/events/empathy_statement/clip"])
def test_out_of_scope_call_looks_exactly_like_a_missing_one(world, who, path):
    hidden = world.client.get(f"/api/v1/calls/call-blue{path}", headers=world.headers(who))
    missing = world.client.get(f"/api/v1/calls/call-nope{path}", headers=world.headers(who))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace("call-blue", "X") == \
        missing.json()["detail"].replace("call-nope", "X")


def test_agent_lists_and_finds_only_their_own_calls(world):
    page = world.client.get("/api/v1/calls", headers=world.headers("agent_a1")).json()
    assert [entry["call"]["id"] for entry in page["items"]] == ["call-blue"]
    page = world.client.get("/api/v1/calls?agent_id=a2", headers=world.headers("agent_a1")).json()
    assert page["total"] == 0


def test_supervisor_findings_stay_in_their_team(world):
    found = world.client.get("/api/v1/findings", headers=world.headers("sup_red")).json()
    assert found["total"] > 0 and {item["team"] for item in found["items"]} == {"red"}
    elsewhere = world.client.get("/api/v1/findings?team=blue", headers=world.headers("sup_red"))
    assert elsewhere.json()["total"] == 0


def test_revoked_token_is_refused(world):
    trainer = world.store.get_user_by_name("trainer")
    assert world.client.get("/api/v1/me", headers=world.headers("trainer")).status_code == 200
    world.store.revoke_tokens(trainer.id)
    response = world.client.get("/api/v1/me", headers=world.headers("trainer"))
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_a_bearer_token_in_a_cookie_signs_nobody_in(world):
    """Pages sign in with a session (``test_sign_in.py``); a token is for headers only."""
    world.client.cookies.set("callcoach_token", world.tokens["sup_blue"])
    try:
        assert world.client.get("/api/v1/calls/call-blue/audio").status_code == 401
        posted = world.client.post("/api/v1/calls/call-blue/review", json={"note": "x"})
        assert posted.status_code == 401
    finally:
        world.client.cookies.clear()
