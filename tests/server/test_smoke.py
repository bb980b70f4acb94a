"""The seeded world answers over the API on both databases (a quick end-to-end sanity check)."""

from support import PASSWORD, World


def test_issue_and_call(api, world: World) -> None:
    kiosk = {"X-Device-Key": world.device_keys["kiosk"]}
    issued = api.post("/api/v1/tickets", json={"center": "T1", "category": "policy"}, headers=kiosk)
    assert issued.status_code == 201, issued.text
    assert issued.json()["display"] == "A001"
    token = api.post("/api/v1/auth/login", json={"username": "reception1", "password": PASSWORD}).json()["token"]
    called = api.post(f"/api/v1/counters/{world.counters[1]}/call-next", headers={"Authorization": f"Bearer {token}"})
    assert called.status_code == 200, called.text
    assert called.json()["ticket"]["display"] == "A001"
    assert called.json()["ticket"]["state"] == "called"
