"""The backend's /metrics: only with the metrics token; requests counted by route template."""

import pytest
from fastapi.testclient import TestClient

TOKEN = "metrics-test-token"


@pytest.fixture(autouse=True)
def metrics_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_METRICS_TOKEN", TOKEN)


def test_metrics_need_the_metrics_token(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_requests_are_counted_by_route_template_not_by_path(client: TestClient) -> None:
    client.get("/health")
    client.get("/api/v1/bookings/BK-NOT-THERE-123")
    body = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert 'linli_backend_requests_total{method="GET",route="/health",status="200"}' in body
    # The booking number in the path never becomes a label value.
    assert "BK-NOT-THERE-123" not in body
    assert 'route="/bookings/{number}"' in body
