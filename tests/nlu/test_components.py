"""The project's own Rasa NLU components, on real rasa Message objects."""

from typing import Any

from rasa.shared.nlu.training_data.message import Message

from bot.components.chinese_text import ChineseTextNormalizer, NegatedEntityFilter


def test_normaliser_folds_traditional_full_width_and_case() -> None:
    normalizer = ChineseTextNormalizer()
    assert normalizer.normalize("我想申請臨時救助") == "我想申请临时救助"
    assert normalizer.normalize("補貼怎麼領") == "补贴怎么领"
    assert normalizer.normalize("ＤＩＢＡＯ　１２３") == "dibao 123"


def test_normaliser_keeps_annotated_training_text_whose_length_would_change() -> None:
    normalizer = ChineseTextNormalizer()
    message = Message(data={"text": "申請", "entities": [{"start": 0, "end": 2}]})
    normalizer.process([message])
    assert message.get("text") == "申请"


def entity(text: str, kind: str, value: str, word: str) -> dict[str, Any]:
    start = text.index(word)
    return {"entity": kind, "value": value, "start": start, "end": start + len(word)}


def filtered(text: str, *entities: tuple[str, str, str]) -> list[str]:
    message = Message(data={"text": text, "entities": [entity(text, *e) for e in entities]})
    NegatedEntityFilter().process([message])
    return [e["value"] for e in message.get("entities")]


def test_negated_policy_is_dropped_when_another_is_named() -> None:
    text = "我不是要低保，是问临时救助"
    both = (("policy", "dibao", "低保"), ("policy", "linshi_jiuzhu", "临时救助"))
    assert filtered(text, *both) == ["linshi_jiuzhu"]
    text = "不是申请低保，我想问一下高龄津贴"
    both = (("policy", "dibao", "低保"), ("policy", "gaoling_jintie", "高龄津贴"))
    assert filtered(text, *both) == ["gaoling_jintie"]


def test_lone_or_unnegated_entities_stay() -> None:
    assert filtered("不要助浴了", ("service", "zhuyu", "助浴")) == ["zhuyu"]
    text = "低保和临时救助有啥区别"
    both = (("policy", "dibao", "低保"), ("policy", "linshi_jiuzhu", "临时救助"))
    assert filtered(text, *both) == ["dibao", "linshi_jiuzhu"]
