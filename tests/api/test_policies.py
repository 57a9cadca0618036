from fastapi.testclient import TestClient


def test_every_canonical_policy_is_listed(client: TestClient) -> None:
    codes = {item["code"] for item in client.get("/api/v1/policies").json()}
    assert codes == {
        "dibao", "tekun", "linshi_jiuzhu", "gaoling_jintie", "canji_butie", "yiliao_jiuzhu",
        "canjizheng", "jujia_yanglao", "fuwulei_jiuzhu", "ertong_guanai", "yanglao_jigou",
        "shebao",
    }  # fmt: skip


def test_amount_of_gaoling_jintie_in_default_region(client: TestClient) -> None:
    answer = client.get("/api/v1/policies/gaoling_jintie/answer", params={"aspect": "amount"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["region"] == "盐城市" and body["year"] == 2022 and body["sample"] is True
    assert "100元" in body["text"] and "600元" in body["text"]
    assert body["aspect_name"] == "补助标准"


def test_region_falls_back_to_national_rules(client: TestClient) -> None:
    body = client.get("/api/v1/policies/dibao/answer", params={"aspect": "timeline"}).json()
    assert body["region"] == "全国"
    assert "30个工作日" in body["text"]


def test_other_region_is_served_when_asked(client: TestClient) -> None:
    body = client.get(
        "/api/v1/policies/gaoling_jintie/answer", params={"region": "唐山市路北区"}
    ).json()
    assert body["region"] == "唐山市路北区"


def test_policy_without_details_is_404_and_unknown_policy_is_422(client: TestClient) -> None:
    missing = client.get("/api/v1/policies/shebao/answer")
    assert missing.status_code == 404
    assert "no details" in missing.json()["detail"]
    unknown = client.get("/api/v1/policies/lottery/answer")
    assert unknown.status_code == 422
    assert "Unknown policy" in unknown.json()["detail"]


def test_bad_aspect_is_rejected(client: TestClient) -> None:
    assert client.get("/api/v1/policies/dibao/answer", params={"aspect": "x"}).status_code == 422


def test_service_catalogue(client: TestClient) -> None:
    services = {item["code"]: item for item in client.get("/api/v1/services").json()}
    assert len(services) == 10
    assert services["zhucan"]["price_yuan"] == 12
