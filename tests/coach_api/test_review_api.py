"""The API the review pages use: why each queued call is there, the flag-kind filter and the
sorts, the clips a user may play on the call page, and clip collections with their masking."""

from __future__ import annotations

import pytest

from coach_api.clip_budget import TRAINER_MAX_CLIP_S, call_budget_s, covered_s
from pipeline.types import CallMetadata

from .rich_call import rich_report
from .synthetic import CARD_NUMBER, CUSTOMER_NAME, report_for, write_stereo


def seed_rich(world, call_id: str = "call-long", duration_s: float = 90.0) -> str:
    audio = write_stereo(world.folder / f"{call_id}.wav", seed=31, duration_s=duration_s)
    call = world.store.register_call(audio, CallMetadata(
        call_id=call_id, agent_id="a1", team="blue", customer_name=CUSTOMER_NAME,
        started_at="2024-05-20T09:00:00+00:00")).call
    world.store.save_report(call.id, rich_report(call.id, agent_id="a1", team="blue",
                                                 duration_s=duration_s, seed=5))
    return call.id


def queue(world, who="admin", **params):
    response = world.client.get("/api/v1/calls", headers=world.headers(who), params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_queue_entries_say_why_the_call_is_there(world):
    seed_rich(world)
    entry = next(e for e in queue(world)["items"] if e["call"]["id"] == "call-long")
    assert [f["severity"] for f in entry["flags"]] == ["high", "medium", "low"]  # worst first
    assert entry["flags"][0]["kind"] == "agent_interruptions"
    assert entry["speech_found"] is True


def test_a_silent_call_is_not_shown_as_clean(world):
    audio = write_stereo(world.folder / "silent.wav", seed=40)
    call = world.store.register_call(audio, CallMetadata(call_id="silent", agent_id="a1",
                                                         team="blue")).call
    world.store.save_report(call.id, {**report_for(call.id, agent_id="a1"), "flags": [],
                                      "speech_found": False})
    entry = next(e for e in queue(world)["items"] if e["call"]["id"] == "silent")
    assert entry["flags"] == [] and entry["speech_found"] is False


def test_flag_kind_filter_finds_flags_stored_before_kinds(world):
    # The synthetic reports' flag ("agent interrupted") has no kind: it is read off the reason.
    found = queue(world, flag_kind="agent_interruptions")
    assert {e["call"]["id"] for e in found["items"]} == {world.blue_call, world.red_call}
    assert queue(world, flag_kind="customer_abuse")["total"] == 0
    refused = world.client.get("/api/v1/calls?flag_kind=shouting", headers=world.headers("admin"))
    assert refused.status_code == 422


def test_queue_sorts_by_start(world):
    seed_rich(world)  # started 2024-05-20, after the two synthetic calls (05-06 and 05-14)
    newest = [e["call"]["id"] for e in queue(world, sort="newest")["items"]]
    oldest = [e["call"]["id"] for e in queue(world, sort="oldest")["items"]]
    assert newest == ["call-long", world.red_call, world.blue_call] == oldest[::-1]


def test_reviewed_calls_leave_the_not_reviewed_view(world):
    world.client.post(f"/api/v1/calls/{world.blue_call}/review", headers=world.headers("admin"),
                      json={"note": "seen"})
    assert [e["call"]["id"] for e in queue(world, reviewed="false")["items"]] == [world.red_call]


def test_a_supervisor_gets_every_clip_and_a_trainer_only_their_budget(world):
    call_id = seed_rich(world)
    every = world.client.get(f"/api/v1/calls/{call_id}/clips", headers=world.headers("admin"))
    trainer = world.client.get(f"/api/v1/calls/{call_id}/clips",
                               headers=world.headers("trainer")).json()
    report = world.client.get(f"/api/v1/calls/{call_id}/report",
                              headers=world.headers("admin")).json()
    evidenced = [c for c in report["checks"].values() if c["evidence"]]
    assert len(every.json()) == len(report["events"]) + len(evidenced)
    assert 0 < len(trainer) < len(every.json())
    windows = [(clip["start_s"], clip["end_s"]) for clip in trainer]
    assert covered_s(windows) <= call_budget_s(90.0) + 1e-6
    assert all(end - start <= TRAINER_MAX_CLIP_S for start, end in windows)
    for clip in trainer:  # each one plays for the trainer
        played = world.client.get(clip["url"], headers=world.headers("trainer"))
        assert played.status_code == 200


def test_trainer_findings_offer_only_clips_they_may_play(world):
    seed_rich(world)
    found = world.client.get("/api/v1/findings?kind=event&limit=200",
                             headers=world.headers("trainer")).json()["items"]
    long_call = [f for f in found if f["call_id"] == "call-long"]
    assert any(f["clip_url"] is None for f in long_call)
    for finding in long_call:
        if finding["clip_url"]:
            assert world.client.get(finding["clip_url"],
                                    headers=world.headers("trainer")).status_code == 200


def make_collection(world, who="trainer", name="Examples") -> int:
    made = world.client.post("/api/v1/collections", headers=world.headers(who),
                             json={"name": name, "description": "for onboarding"})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def test_collection_items_are_masked_and_bleeped_for_every_reader(world):
    collection_id = make_collection(world)
    added = world.client.post(f"/api/v1/collections/{collection_id}/items",
                              headers=world.headers("trainer"),
                              json={"call_id": world.blue_call, "finding_id": "empathy_statement",
                                    "note": "names the feeling"})
    assert added.status_code == 201, added.text
    detail = world.client.get(f"/api/v1/collections/{collection_id}",
                              headers=world.headers("agent_a2")).json()  # team red
    item = detail["items"][0]
    assert item["call_id"] is None  # another team's call: not a way in
    assert item["label"] == "Empathy (met)" and "[customer name]" in item["quote"]
    assert CUSTOMER_NAME.split()[0] not in item["quote"]
    clip = world.client.get(item["clip_url"], headers=world.headers("agent_a2"))
    trainer = world.client.get(f"/api/v1/calls/{world.blue_call}/events/empathy_statement/clip",
                               headers=world.headers("trainer"))
    assert clip.status_code == 200 and clip.content == trainer.content  # as a trainer hears it
    assert CARD_NUMBER not in str(detail)


def test_collections_refuse_duplicates_and_what_a_trainer_may_not_hear(world):
    call_id = seed_rich(world)
    collection_id = make_collection(world)
    allowed = {c["finding_id"] for c in world.client.get(
        f"/api/v1/calls/{call_id}/clips", headers=world.headers("trainer")).json()}
    report = world.client.get(f"/api/v1/calls/{call_id}/report",
                              headers=world.headers("admin")).json()
    past = next(e["id"] for e in report["events"] if e["id"] not in allowed)
    refused = world.client.post(f"/api/v1/collections/{collection_id}/items",
                                headers=world.headers("admin"),
                                json={"call_id": call_id, "finding_id": past})
    assert refused.status_code == 403 and "trainers may hear" in refused.json()["detail"]
    item = {"call_id": call_id, "finding_id": sorted(allowed)[0]}
    url = f"/api/v1/collections/{collection_id}/items"
    assert world.client.post(url, headers=world.headers("trainer"), json=item).status_code == 201
    assert world.client.post(url, headers=world.headers("trainer"), json=item).status_code == 409
    again = world.client.post("/api/v1/collections", headers=world.headers("trainer"),
                              json={"name": "Examples"})
    assert again.status_code == 409


def test_deleting_a_collection_keeps_the_calls(world):
    collection_id = make_collection(world)
    world.client.post(f"/api/v1/collections/{collection_id}/items",
                      headers=world.headers("trainer"),
                      json={"call_id": world.blue_call, "finding_id": "ev-1"})
    gone = world.client.delete(f"/api/v1/collections/{collection_id}",
                               headers=world.headers("trainer"))
    assert gone.status_code == 204
    assert world.client.get(f"/api/v1/collections/{collection_id}",
                            headers=world.headers("trainer")).status_code == 404
    assert world.client.get(f"/api/v1/calls/{world.blue_call}",
                            headers=world.headers("admin")).status_code == 200


@pytest.mark.parametrize("page", ["/ui/library", "/ui/findings"])
def test_a_trainer_lands_in_the_library(world, page):
    from .signing_in import PASSWORD, sign_in

    world.store.set_password(world.store.get_user_by_name("trainer").id, PASSWORD)
    sign_in(world.client, "trainer")
    home = world.client.get("/ui/", follow_redirects=True)
    assert home.status_code == 200 and home.url.path == "/ui/library"
    assert world.client.get(page, follow_redirects=True).url.path == "/ui/library"
