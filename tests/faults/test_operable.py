"""Every service of the scaled profile answers a Prometheus scrape with the metrics token (and
only with it), with figures an operator watches and no resident's words or numbers."""

import httpx

from testsupport.conversation import Conversation
from testsupport.scaled import ScaledStack


def scrape(url: str, token: str) -> httpx.Response:
    return httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_metrics_of_rasa_actions_and_backend(scaled: ScaledStack) -> None:
    resident = Conversation(scaled.rasa_url, scaled.front_headers())
    resident.say("我的电话是13800138000，高龄津贴一个月多少钱")
    rasa = [
        scrape(f"{url}/webhooks/rest/metrics", scaled.metrics_token) for url in scaled.replica_urls
    ]
    assert all(response.status_code == 200 for response in rasa)
    assert any('linli_rasa_turns_total{front="rest",outcome="answered"}' in r.text for r in rasa)
    actions_port = scaled.env("LINLI_SCALED_ACTION_REPLICA_PORTS_FROM")
    actions = scrape(f"http://127.0.0.1:{actions_port}/metrics", scaled.metrics_token)
    assert actions.status_code == 200 and "linli_outbox_depth" in actions.text
    backend = scrape(f"{scaled.backend.url}/metrics", scaled.metrics_token)
    # Two uvicorn workers: the scrape adds up both.
    assert backend.status_code == 200 and "linli_backend_requests_total" in backend.text
    for response in (*rasa, actions, backend):
        assert "13800138000" not in response.text and resident.sender not in response.text
    assert httpx.get(f"{scaled.backend.url}/metrics").status_code == 401
    assert httpx.get(f"{scaled.replica_urls[0]}/webhooks/rest/metrics").status_code == 401
