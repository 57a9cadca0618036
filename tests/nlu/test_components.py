"""The project's own Rasa NLU components, on real rasa Message objects."""

import time
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.chinese_text import ChineseTextNormalizer, normalize
from bot.components.entities import CANONICAL_VALUES, EntityCleaner, PinyinLexiconExtractor
from bot.components.sound_features import SoundFeaturizer
from common.pinyin_names import read_synonyms, sounds_like


def test_normaliser_folds_traditional_full_width_and_case() -> None:
    normalizer = ChineseTextNormalizer()
    assert normalizer.normalize("我想申請臨時救助") == "我想申请临时救助"
    assert normalizer.normalize("補貼怎麼領") == "补贴怎么领"
    assert normalizer.normalize("ＤＩＢＡＯ　１２３") == "dibao 123"


def test_normaliser_changes_annotated_values_with_the_text() -> None:
    message = Message(
        data={"text": "臨時救助", "entities": [{"start": 0, "end": 4, "value": "臨時救助"},
                                           {"start": 0, "end": 4, "value": "linshi_jiuzhu"}]}
    )  # fmt: skip
    ChineseTextNormalizer().process_training_data(TrainingData([message]))
    assert message.get("text") == "临时救助"
    assert [e["value"] for e in message.get("entities")] == ["临时救助", "linshi_jiuzhu"]


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
    EntityCleaner().process([message])
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


def test_cleaner_keeps_canonical_values_once() -> None:
    text = "帮我约个上门理发，老头子头发长了，理发"
    found = filtered(
        text,
        ("service", "lifa", "上门理发"),
        ("service", "头发", "头发"),
        ("service", "lifa", "理发"),
    )
    assert found == ["lifa"]


def test_a_service_named_as_someones_work_is_not_asked_for() -> None:
    assert filtered("以前在酒店做保洁，去年被辞了", ("service", "zhujie", "保洁")) == []
    assert filtered("我是干家政的，现在没活", ("service", "zhujie", "家政")) == []
    assert filtered("家政的工作也丢了，欠了房租", ("service", "zhujie", "家政")) == []
    # Asked for, or about a booking: kept.
    assert filtered("能不能派人去做保洁", ("service", "zhujie", "保洁")) == ["zhujie"]
    assert filtered("来我妈家做保洁要多少钱", ("service", "zhujie", "保洁")) == ["zhujie"]
    assert filtered("保洁的活干得真细", ("service", "zhujie", "保洁")) == ["zhujie"]
    assert filtered("保洁员几点到", ("service", "zhujie", "保洁")) == ["zhujie"]


def test_a_benefit_held_is_background_to_a_question_about_another() -> None:
    text = "退休工资加养老金两千出头，还能申请低保吗"
    both = (("policy", "shebao", "养老金"), ("policy", "dibao", "低保"))
    assert filtered(text, *both) == ["dibao"]
    text = "做手术花了五万，医保报完还差两万，大病救助能报多少"
    both = (("policy", "shebao", "医保"), ("policy", "yiliao_jiuzhu", "大病救助"))
    assert filtered(text, *both) == ["yiliao_jiuzhu"]
    text = "孩子有残疾证，两项补贴在哪领"
    both = (("policy", "canjizheng", "残疾证"), ("policy", "canji_butie", "两项补贴"))
    assert filtered(text, *both) == ["canji_butie"]
    # Asked about, or the only policy named: kept.
    text = "医保报销和医疗救助有啥区别"
    both = (("policy", "shebao", "医保"), ("policy", "yiliao_jiuzhu", "医疗救助"))
    assert filtered(text, *both) == ["shebao", "yiliao_jiuzhu"]
    text = "想办残疾证，还有两项补贴"
    both = (("policy", "canjizheng", "残疾证"), ("policy", "canji_butie", "两项补贴"))
    assert filtered(text, *both) == ["canjizheng", "canji_butie"]
    assert filtered("医保报了一半", ("policy", "shebao", "医保")) == ["shebao"]


def synonym_lexicon() -> dict[str, list[str]]:
    """What `PinyinLexiconExtractor.train` stores, from the synonym lists Rasa trains on."""
    kinds = {value: kind for kind, values in CANONICAL_VALUES.items() for value in values}
    return {normalize(form): [kinds[value], value] for form, value in read_synonyms()}


def test_synonym_values_are_the_canonical_values() -> None:
    values = {value for _, value in synonym_lexicon().values()}
    assert values == set().union(*CANONICAL_VALUES.values())


def found_by_sound(text: str) -> list[tuple[str, str, str]]:
    extractor = PinyinLexiconExtractor(None, None, synonym_lexicon())  # type: ignore[arg-type]
    return [(e["entity"], e["value"], text[e["start"] : e["end"]]) for e in extractor.find(text)]


def test_lexicon_finds_names_by_sound() -> None:
    assert ("policy", "canjizheng", "残疾正") in found_by_sound("啊那个残疾正要去哪里评级")
    assert ("policy", "shebao", "社宝") in found_by_sound("我那个社宝断了两年")
    assert ("policy", "dibao", "dibao") in found_by_sound("wo xiang shenqing dibao")
    # Any listed name spelled in pinyin, syllables apart or together.
    assert ("policy", "tekun", "te kun") in found_by_sound("ta neng shenqing te kun ma")
    spelled = found_by_sound("gaolingjintie zenme ban")
    assert ("policy", "gaoling_jintie", "gaolingjintie") in spelled
    assert ("service", "kangfu", "an mo") in found_by_sound("xiang zhao ren lai an mo")
    assert ("policy", "yiliao_jiuzhu", "大病就住") in found_by_sound("能不能申请那个大病就住")


def test_lexicon_does_not_invent_names() -> None:
    assert found_by_sound("我想问问立法的事") == []  # sounds like 理发, shares no character
    assert found_by_sound("反正我也不懂理财") == []  # 饭 is one character: not matched by sound
    assert found_by_sound("帮我写个作文") == []
    assert found_by_sound("can someone come and help my grandma") == []
    # One syllable misheard is a speech transcript's rule (voice/correction.py), not a typist's.
    assert found_by_sound("他腰不好，想居家养病") == []
    assert found_by_sound("高林普贴咋申请") == []
    assert found_by_sound("ta zai tekunming gongzuo") == []  # inside a longer word


@pytest.mark.parametrize(
    ("said", "name", "alike"),
    [
        ("社宝", "社保", True),  # a character in common, same sound and tones
        ("名天", "明天", True),
        ("立法", "理发", False),  # same toneless sound, no character in common
        ("卖菜", "买菜", False),  # a character in common, another tone: another word
        ("主餐", "助餐", False),
        ("残疾正", "残疾证", True),
        ("高林津贴", "高龄津贴", True),  # ling/lin folded in long names
        ("高林金铁", "高龄津贴", False),  # one character in common is too few for four
        ("高林普贴", "高龄津贴", False),  # one syllable misheard: only in a transcript
        ("饭", "饭", False),  # one character: never by sound
    ],
)
def test_the_one_sound_alike_rule(said: str, name: str, alike: bool) -> None:
    assert sounds_like(said, name) is alike


@pytest.mark.parametrize(
    ("said", "name", "alike"),
    [
        ("高林普贴", "高龄津贴", True),  # pu for jin, the rest agrees, two characters shared
        ("支家养老", "居家养老", True),
        ("高林金铁", "高龄津贴", False),  # three characters differ
        ("高龄老人", "高龄津贴", False),  # two syllables differ
        ("普贴", "补贴", False),  # too short to lose a syllable
    ],
)
def test_a_heard_long_name_may_have_one_syllable_misheard(
    said: str, name: str, alike: bool
) -> None:
    assert sounds_like(said, name, heard=True) is alike


def test_nlu_cost_grows_linearly_with_the_message() -> None:
    """A pasted 20,000-character message is handled in well under a second (the components
    once compared every name with every other, and a 100 KB message took over a minute)."""
    sentence = "我想问一下地保和临时就住，还有社宝，不是要助浴，帮我约个上门里发。"
    text = (sentence * (20_000 // len(sentence) + 1))[:20_000]
    # DIET's own findings, one per sentence: kept where they are, the lexicon's elsewhere.
    diet = [
        {"entity": "policy", "value": "dibao", "start": start, "end": start + 2}
        for start in range(sentence.index("地保"), len(text) - 2, len(sentence))
    ]
    started = time.perf_counter()
    message = Message(data={"text": text, "entities": diet})
    PinyinLexiconExtractor(None, None, synonym_lexicon()).process([message])  # type: ignore[arg-type]
    EntityCleaner().process([message])
    ChineseTextNormalizer().process([Message(data={"text": text})])
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, f"{elapsed:.2f} s for 20,000 characters"
    # Once each; 助浴 is said not to be meant.
    assert [e["value"] for e in message.get("entities")] == [
        "dibao", "linshi_jiuzhu", "shebao", "lifa"
    ]  # fmt: skip


def test_a_request_sounds_the_same_in_characters_pinyin_and_homophones(tmp_path: Path) -> None:
    """`SoundFeaturizer`: one sentence feature from the message's sound, trained and loaded
    back through Rasa's model storage like any component."""
    storage = LocalModelStorage(tmp_path)
    resource = Resource("sound")
    context = ExecutionContext(GraphSchema({}), node_name="sound")
    config = SoundFeaturizer.get_default_config()
    training = [
        Message(data={"text": text, "intent": intent})
        for text, intent in [
            ("我妈要申请低保", "apply_aid"),
            ("我要申请临时救助", "apply_aid"),
            ("低保一个月多少钱", "ask_policy"),
        ]
    ]
    SoundFeaturizer.create(config, storage, resource, context).train(TrainingData(training))
    featurizer = SoundFeaturizer.load(config, storage, resource, context)

    def sound(text: str) -> Any:
        [message] = featurizer.process([Message(data={"text": normalize(text)})])
        sequence, sentence = message.get_sparse_features("text")
        assert sequence is None and sentence is not None
        return sentence.features.toarray()

    said = sound("我妈要申请低保")
    assert said.sum() > 0
    assert (sound("Wo Ma yao shen qing di bao!") == said).all()
    assert (sound("我妈要身请地保") == said).all()
    assert not (sound("我要一张火车票") == said).all()
    assert sound("😭😭").sum() == 0  # no sound at all: an empty feature, not a missing one


def test_the_lexicon_learns_the_listed_names_not_annotated_words(tmp_path: Path) -> None:
    """A training line's annotated word ("[补贴](canji_butie)") is a synonym to Rasa, but
    found in any message it would name a policy nobody asked for: only the lists count."""
    lists = tmp_path / "synonyms.yml"
    lists.write_text(
        'version: "3.1"\nnlu:\n- synonym: canji_butie\n  examples: |\n    - 两项补贴\n',
        encoding="utf-8",
    )
    storage = LocalModelStorage(tmp_path)
    resource = Resource("names")
    context = ExecutionContext(GraphSchema({}), node_name="names")
    config = {**PinyinLexiconExtractor.get_default_config(), "synonyms": str(lists)}
    annotated = TrainingData(
        [Message(data={"text": "补贴怎么领", "intent": "ask_policy"})],
        entity_synonyms={"补贴": "canji_butie", "两项补贴": "canji_butie"},
    )
    PinyinLexiconExtractor.create(config, storage, resource, context).train(annotated)
    extractor = PinyinLexiconExtractor.load(config, storage, resource, context)
    assert [e["value"] for e in extractor.find("残疾人两项补贴怎么领")] == ["canji_butie"]
    assert extractor.find("这里有啥老人补贴") == []
