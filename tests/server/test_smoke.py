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


def test_routes_of_the_areas_matched_first_never_take_another_areas_paths() -> None:
    """The hot areas' routers are tried first (speed): none of their routes may shadow another's."""
    import re

    from suqiu_queue.server.app import HOT_AREAS, discover_routers

    routers = discover_routers()
    hot = routers[: len(HOT_AREAS)]
    assert any(getattr(route, "path", "") == "/api/v1/tickets" for route in hot[0].routes)
    others = [route for router in routers[len(HOT_AREAS) :] for route in router.routes]
    for router in hot:
        for mine in router.routes:
            for other in others:
                if not (mine.methods & getattr(other, "methods", set())) or mine.path == other.path:
                    continue
                concrete = re.sub(r"\{[^}]+\}", "1", other.path)
                assert not mine.path_regex.match(concrete), f"{mine.path} would take {other.path}"
