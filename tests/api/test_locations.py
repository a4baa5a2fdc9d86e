from tests.factories import location_body


def test_create_get_list_and_patch_a_location(admin):
    created = admin.post("/locations", location_body())
    assert created.status_code == 201, created.data
    loc = created.data
    assert loc["id"].startswith("loc_") and loc["version"] == 1
    assert created.headers["ETag"] == '"1"'
    assert loc["quiet_hours"] == {"start": "08:00", "end": "21:00"}

    got = admin.get(f"/locations/{loc['id']}")
    assert got.status_code == 200 and got.data["name"] == "Riverside Dental"

    listed = admin.get("/locations")
    assert [item["id"] for item in listed.data["items"]] == [loc["id"]]
    assert listed.data["next_cursor"] is None

    patched = admin.patch(f"/locations/{loc['id']}", {"name": "Riverside Dental North"}, headers={"If-Match": '"1"'})
    assert patched.status_code == 200, patched.data
    assert patched.data["name"] == "Riverside Dental North" and patched.headers["ETag"] == '"2"'


def test_patch_needs_if_match_and_refuses_a_stale_one(admin):
    loc = admin.post("/locations", location_body()).data
    missing = admin.patch(f"/locations/{loc['id']}", {"name": "X"})
    assert missing.status_code == 428 and missing.data["error"]["code"] == "precondition_required"
    assert admin.patch(f"/locations/{loc['id']}", {"name": "Y"}, headers={"If-Match": '"1"'}).status_code == 200
    stale = admin.patch(f"/locations/{loc['id']}", {"name": "Z"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and stale.data["error"]["code"] == "precondition_failed"
    garbage = admin.patch(f"/locations/{loc['id']}", {"name": "Z"}, headers={"If-Match": "*"})
    assert garbage.status_code == 400


def test_location_validation_errors_use_the_error_shape(admin):
    bad = admin.post("/locations", location_body(timezone="EST", phone="555-1234", email="nope",
                                                  quiet_hours={"start": "22:00", "end": "08:00"}))
    assert bad.status_code == 400
    error = bad.data["error"]
    assert error["code"] == "validation_error" and error["request_id"]
    fields = {detail["field"] for detail in error["details"]}
    assert {"timezone", "phone", "email", "quiet_hours"} <= fields


def test_unknown_and_read_only_fields_are_refused(admin):
    assert admin.post("/locations", location_body(id="loc_mine")).status_code == 400
    assert admin.post("/locations", location_body(is_admin=True)).status_code == 400
    loc = admin.post("/locations", location_body()).data
    for field, value in (("version", 9), ("created_at", "2020-01-01"), ("id", "loc_x")):
        response = admin.patch(f"/locations/{loc['id']}", {field: value}, headers={"If-Match": '"1"'})
        assert response.status_code == 400, field
        assert response.data["error"]["details"][0]["message"] == "unknown or read-only field"


def test_required_fields_cannot_be_nulled(admin):
    loc = admin.post("/locations", location_body()).data
    response = admin.patch(f"/locations/{loc['id']}", {"name": None}, headers={"If-Match": '"1"'})
    assert response.status_code == 400


def test_malformed_bodies_are_400_not_500(admin):
    assert admin.post("/locations", raw=b"{not json").status_code == 400
    assert admin.post("/locations", raw=b"[1, 2]").status_code == 400
    wrong_type = admin.post("/locations", raw=b"name=x", headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 400 and wrong_type.data["error"]["code"] == "validation_error"


def test_only_admins_write_locations(admin):
    coordinator = admin.as_(role="coordinator")
    response = coordinator.post("/locations", location_body())
    assert response.status_code == 403 and response.data["error"]["code"] == "forbidden"
    assert coordinator.get("/locations").status_code == 200


def test_location_grants_and_other_groups(admin):
    first = admin.post("/locations", location_body(name="First")).data
    second = admin.post("/locations", location_body(name="Second")).data
    limited = admin.as_(role="coordinator", locations=[first["id"]])
    assert [item["id"] for item in limited.get("/locations").data["items"]] == [first["id"]]
    assert limited.get(f"/locations/{second['id']}").status_code == 404
    limited_admin = admin.as_(locations=[first["id"]])
    patched = limited_admin.patch(f"/locations/{second['id']}", {"name": "x"}, headers={"If-Match": '"1"'})
    assert patched.status_code == 404

    stranger = admin.as_(org="org_someone_else")
    assert stranger.get(f"/locations/{first['id']}").status_code == 404
    assert stranger.patch(f"/locations/{first['id']}", {"name": "x"}, headers={"If-Match": '"1"'}).status_code == 404
    assert stranger.get("/locations").data["items"] == []
    assert admin.get("/locations/loc_not-even-an-id").status_code == 404


def test_pagination_cursors_are_opaque_and_bound(admin):
    ids = {admin.post("/locations", location_body(name=f"L{i}")).data["id"] for i in range(5)}
    seen, cursor = [], None
    while True:
        path = "/locations?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = admin.get(path)
        assert page.status_code == 200, page.data
        seen += [item["id"] for item in page.data["items"]]
        cursor = page.data["next_cursor"]
        if not cursor:
            break
    assert set(seen) == ids and len(seen) == 5

    first = admin.get("/locations?limit=2").data["next_cursor"]
    tampered = first[:-3] + ("AAA" if not first.endswith("AAA") else "BBB")
    assert admin.get(f"/locations?limit=2&cursor={tampered}").status_code == 400
    other_user = admin.as_(sub="someone-else")
    assert other_user.get(f"/locations?limit=2&cursor={first}").status_code == 400
    assert admin.get("/locations?limit=0").status_code == 400
    assert admin.get("/locations?color=blue").status_code == 400


def test_locations_are_registered_for_the_scheduled_jobs(admin):
    from shared.store.registry import all_locations

    loc = admin.post("/locations", location_body()).data
    admin.patch(f"/locations/{loc['id']}", {"timezone": "Europe/London"}, headers={"If-Match": '"1"'})
    mine = [entry for entry in all_locations() if entry.org == admin.org]
    assert [(entry.location_id, entry.timezone) for entry in mine] == [(loc["id"], "Europe/London")]
