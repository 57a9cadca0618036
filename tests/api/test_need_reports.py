from fastapi.testclient import TestClient

REPORT = {
    "channel": "livestream",
    "sender_id": "viewer-88",
    "text": "我家老人瘫痪在床，想问大病救助标准",
    "needs_home_visit": True,
    "source_detail": "小红船直播 第12场",
}


def test_single_report_lands_in_the_queue(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    created = client.post("/api/v1/need-reports", json=REPORT, headers=channel_headers)
    assert created.status_code == 201, created.text
    assert created.json()["number"] == "N000001" and created.json()["status"] == "open"
    queue = client.get("/api/v1/need-reports", headers=staff_headers).json()
    assert [r["number"] for r in queue] == ["N000001"]
    assert client.get("/api/v1/need-reports", headers=channel_headers).status_code == 403


def test_batch_is_all_or_nothing(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    batch = [{**REPORT, "sender_id": f"viewer-{i}", "needs_home_visit": False} for i in range(3)]
    bad = [*batch, {**REPORT, "text": ""}]
    refused = client.post("/api/v1/need-reports/batch", json=bad, headers=channel_headers)
    assert refused.status_code == 422
    assert client.get("/api/v1/need-reports", headers=staff_headers).json() == []
    created = client.post("/api/v1/need-reports/batch", json=batch, headers=channel_headers)
    assert created.status_code == 201
    assert [r["number"] for r in created.json()] == ["N000001", "N000002", "N000003"]
    empty = client.post("/api/v1/need-reports/batch", json=[], headers=channel_headers)
    assert empty.status_code == 422


def test_queue_puts_urgent_then_home_visits_first_and_follow_up_works(
    client: TestClient, channel_headers: dict[str, str], social_worker_headers: dict[str, str]
) -> None:
    reports = [
        {**REPORT, "needs_home_visit": False, "text": "问低保条件"},
        {**REPORT, "needs_home_visit": True, "text": "需要上门看看"},
        {**REPORT, "channel": "voice", "urgent": True, "text": "老人摔倒了没人管"},
    ]
    client.post("/api/v1/need-reports/batch", json=reports, headers=channel_headers)
    queue = client.get("/api/v1/need-reports", headers=social_worker_headers).json()
    assert [r["text"] for r in queue] == ["老人摔倒了没人管", "需要上门看看", "问低保条件"]
    updated = client.patch(
        "/api/v1/need-reports/N000003",
        json={"status": "following_up", "assigned_to": "sw-li", "note": "已电话联系，明天上门"},
        headers=social_worker_headers,
    )
    assert updated.status_code == 200
    assert updated.json()["follow_up_note"] == "已电话联系，明天上门"
    client.patch(
        "/api/v1/need-reports/N000003",
        json={"status": "resolved", "note": "已上门"},
        headers=social_worker_headers,
    )
    open_queue = client.get("/api/v1/need-reports", headers=social_worker_headers).json()
    assert "N000003" not in [r["number"] for r in open_queue]
    everything = client.get(
        "/api/v1/need-reports", params={"include_done": True}, headers=social_worker_headers
    ).json()
    resolved = [r for r in everything if r["number"] == "N000003"][0]
    assert resolved["follow_up_note"] == "已电话联系，明天上门\n已上门"
    missing = client.patch(
        "/api/v1/need-reports/N000003", json={"resident_id": 999}, headers=social_worker_headers
    )
    assert missing.status_code == 422
    assert (
        client.get("/api/v1/need-reports/N999999", headers=social_worker_headers).status_code == 404
    )


def test_bad_channel_is_refused(client: TestClient, channel_headers: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/need-reports", json={**REPORT, "channel": "fax"}, headers=channel_headers
    )
    assert response.status_code == 422


def test_blank_idempotency_key_is_no_key_and_a_real_one_dedupes(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    for key in (" ", " ", "k-1", "k-1"):
        headers = {**channel_headers, "Idempotency-Key": key}
        response = client.post("/api/v1/need-reports", json=REPORT, headers=headers)
        assert response.status_code == 201, response.text
    queue = client.get("/api/v1/need-reports", headers=staff_headers).json()
    assert len(queue) == 3
