from fastapi.testclient import TestClient


def test_call_record_with_turns_and_outcome(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    start = {"call_id": "call-1", "transport": "simulator", "caller_number": "13800138000"}
    assert client.post("/api/v1/calls", json=start, headers=channel_headers).status_code == 201
    # A retried start and a retried turn are stored once.
    assert client.post("/api/v1/calls", json=start, headers=channel_headers).status_code == 201
    turn = {"turn": 1, "transcript": "转人工", "intent": "request_human", "bot_text": "好的",
            "latency_ms": 420}  # fmt: skip
    for _ in range(2):
        response = client.post("/api/v1/calls/call-1/turns", json=turn, headers=channel_headers)
        assert response.status_code == 200
    ended = client.post(
        "/api/v1/calls/call-1/end", json={"outcome": "transferred"}, headers=channel_headers
    ).json()
    assert ended["outcome"] == "transferred" and ended["ended_at"] is not None
    record = client.get("/api/v1/calls/call-1", headers=staff_headers).json()
    assert [t["transcript"] for t in record["turns"]] == ["转人工"]
    late = client.post("/api/v1/calls/call-1/turns", json={"turn": 2}, headers=channel_headers)
    assert late.status_code == 409


def test_unknown_call_and_bad_outcome(client: TestClient, channel_headers: dict[str, str]) -> None:
    missing = client.post("/api/v1/calls/nope/turns", json={"turn": 1}, headers=channel_headers)
    assert missing.status_code == 404
    client.post("/api/v1/calls", json={"call_id": "c2", "transport": "x"}, headers=channel_headers)
    bad = client.post("/api/v1/calls/c2/end", json={"outcome": "boom"}, headers=channel_headers)
    assert bad.status_code == 422
