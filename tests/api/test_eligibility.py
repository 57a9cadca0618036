"""Eligibility rules, one by one, through the endpoint the dialogue calls."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.eligibility.schemas import ResidentFacts
from api.eligibility.service import load_rules, screen
from api.policies.service import load_knowledge_base


def facts(**values: Any) -> ResidentFacts:
    return ResidentFacts(**values)


def matched(result_facts: ResidentFacts, region: str = "盐城市") -> dict[str, Any]:
    return {m.policy: m for m in screen(result_facts, region).matches}


@pytest.mark.parametrize(
    ("age", "monthly"), [(80, "100"), (89, "100"), (90, "200"), (99, "200"), (100, "600")]
)
def test_gaoling_jintie_gives_the_band_amount(age: int, monthly: str) -> None:
    match = matched(facts(age=age))["gaoling_jintie"]
    assert f"每月{monthly}元" in match.reason and str(age) in match.reason
    assert "盐城市" in match.reason and match.apply_via_assistant


def test_under_80_gets_no_gaoling_jintie() -> None:
    assert "gaoling_jintie" not in matched(facts(age=79))


def test_gaoling_jintie_in_a_region_without_bands_quotes_the_range() -> None:
    match = matched(facts(age=85, region="唐山市路北区"), "盐城市")["gaoling_jintie"]
    assert "50元到300元" in match.reason and "唐山市路北区" in match.reason


def test_severe_disability_gets_canji_butie() -> None:
    match = matched(facts(disability_level="severe"))["canji_butie"]
    assert "重度残疾人护理补贴" in match.reason


def test_disabled_in_dibao_family_gets_canji_butie_living_allowance() -> None:
    match = matched(facts(disability_level="mild", has_dibao=True))["canji_butie"]
    assert "困难残疾人生活补贴" in match.reason


@pytest.mark.parametrize("extra", [{"disability_level": "mild"}, {"serious_illness": True}])
def test_dibao_under_60_with_mild_disability_or_illness_gets_fuwulei_jiuzhu(
    extra: dict[str, Any],
) -> None:
    match = matched(facts(age=45, has_dibao=True, **extra))["fuwulei_jiuzhu"]
    assert "1000元" in match.reason and "鄂尔多斯市东胜区2024年" in match.reason


def test_fuwulei_jiuzhu_needs_dibao_and_under_60() -> None:
    assert "fuwulei_jiuzhu" not in matched(facts(age=65, has_dibao=True, serious_illness=True))
    assert "fuwulei_jiuzhu" not in matched(facts(age=45, has_dibao=False, serious_illness=True))


def test_elder_living_alone_without_income_gets_tekun() -> None:
    found = matched(facts(age=72, income="none", living_alone=True))
    assert "tekun" in found and "fuwulei_jiuzhu" in found  # 特困 at home: service assistance
    assert "linshi_jiuzhu" in found


def test_low_income_gets_dibao_unless_already_on_it() -> None:
    assert "dibao" in matched(facts(income="low"))
    assert "dibao" not in matched(facts(income="low", has_dibao=True))
    assert "dibao" not in matched(facts(income="normal"))


def test_serious_illness_gets_medical_and_temporary_assistance() -> None:
    found = matched(facts(serious_illness=True))
    assert {"yiliao_jiuzhu", "linshi_jiuzhu"} <= set(found)


def test_disabled_elder_in_yancheng_gets_home_care_and_nursing_home_subsidies() -> None:
    found = matched(facts(age=70, disability_level="moderate"))
    assert "100元" in found["jujia_yanglao"].reason
    assert "150元" in found["yanglao_jigou"].reason


def test_region_specific_rules_apply_only_in_their_region() -> None:
    lubei = matched(facts(age=70, has_dibao=True), "唐山市路北区")
    assert "100元" in lubei["jujia_yanglao"].reason
    assert "jujia_yanglao" not in matched(facts(age=70, has_dibao=True), "盐城市")


def test_child_alone_gets_ertong_guanai() -> None:
    assert "ertong_guanai" in matched(facts(age=12, living_alone=True))


def test_unknown_facts_are_reported_as_missing_not_guessed() -> None:
    result = screen(facts(), "盐城市")
    assert result.matches == []
    assert {"age", "income", "disability_level", "serious_illness"} <= set(result.missing)
    # Once a policy matched, its other rules' unknowns are no longer worth asking about.
    result = screen(facts(age=85), "盐城市")
    assert "gaoling_jintie" in {m.policy for m in result.matches}
    assert "age" not in result.missing


def test_every_rule_names_a_known_policy_and_fills_its_texts() -> None:
    policies, _ = load_knowledge_base()
    for rule in load_rules():
        assert rule.policy in policies
    everything = facts(age=85, living_alone=True, disability_level="severe",
                       serious_illness=True, income="none", has_dibao=True)  # fmt: skip
    for match in screen(everything, "盐城市").matches:
        assert "{" not in match.reason and "{" not in match.next_step


def test_endpoint_for_channels_and_staff(
    client: TestClient, channel_headers: dict[str, str], staff_headers: dict[str, str]
) -> None:
    body = {"age": 92, "living_alone": None, "disability_level": "severe",
            "serious_illness": None, "income": None, "has_dibao": None,
            "household_size": None, "region": None}  # fmt: skip
    for headers in (channel_headers, staff_headers):
        response = client.post("/api/v1/eligibility/screen", json=body, headers=headers)
        assert response.status_code == 200, response.text
        result = response.json()
        by_policy = {m["policy"]: m for m in result["matches"]}
        assert "每月200元" in by_policy["gaoling_jintie"]["reason"]
        assert by_policy["canji_butie"]["name"] == "残疾人两项补贴"
        assert set(by_policy["canji_butie"]) >= {
            "policy", "name", "reason", "next_step", "apply_via_assistant"
        }  # fmt: skip
        assert isinstance(result["missing"], list)
    assert client.post("/api/v1/eligibility/screen", json=body).status_code == 401
    bad = client.post(
        "/api/v1/eligibility/screen", json={"age": -1, "income": "rich"}, headers=channel_headers
    )
    assert bad.status_code == 422
