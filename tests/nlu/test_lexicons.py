"""The danger-sign lexicon beside the model (bot/lexicons/emergency.yml, common/danger_signs.py,
bot/components/lexicons.py). Sentences written from first-aid situations, not from any set the
model is measured on."""

import re._constants as constants
import re._parser as parser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from bot.components.lexicons import EmergencyLexicon
from common.danger_signs import DangerSigns
from common.settings import PROJECT_ROOT

DANGER = [
    "我爸在卫生间摔了一跤，爬不起来了",
    "老太太倒在地上了，叫她也没反应",
    "我妈突然说胸口疼得厉害，一身冷汗",
    "我老伴喘不上气来了，脸都憋紫了",
    "他嘴歪了，说话也说不清楚",
    "我爷爷右边胳膊突然抬不起来",
    "孩子发高烧，刚才浑身抽搐",
    "我爸有糖尿病，中午没吃饭，现在一直出汗手抖，说胡话",
    "闻到楼道里有一股煤气味",
    "厨房着火了",
    "电热毯冒烟了",
    "隔壁王大爷两天没开门了，敲门也没人应",
    "我不想活了",
    "他又喝多了在打我",
    "我妈吃错药了，现在迷迷糊糊的",
    "切菜割到手了，血止不住",
    "被开水烫伤了一大片",
    "快叫救护车",
    "阿爷喺厕所跌低咗，起唔到嚟",  # Cantonese
    "阿拉爷叔跌了一跤，爬勿起来",  # Wu
    "喊他半天也不吭声",
    "我觉得活着没意思",
    "我爸舌头不利索了，半边脸耷拉着",
    "楼上阿婆两天没下楼，敲门勿开，电话也呒人接",  # Wu
    "wo ma shuai dao le qi bu lai",  # toneless pinyin
    "laoban xiongkou teng de lihai",
    "jiu ming a",
    # Danger words written with the wrong characters by a recogniser or an input method.
    "隔壁屋里找火了",  # 着火了
    "厨房一股没气味，不敢开灯",  # 煤气味
    "我爸串不上气来了",  # 喘不上气
    "老头子口土白沫",  # 口吐白沫
    "快来人",
    "我爸洗澡的时候晕倒了",
    "老头在澡堂子里昏过去了",
    "孩子爬到阳台栏杆上了",
    "奶奶坐在窗台上，腿伸在外面",
    "我在给他做心肺复苏，救护车还没来",
    "他怕冷，洗澡时晕倒了",
]
CALM = [
    "低保一个月能领多少钱",
    "有事打我电话，13800138000",
    "你打我儿子电话吧",
    "我申请了一个月还没反应，你们查一下",
    "帮我约个上门理发",
    "我妈八十二岁了能领高龄津贴吗",
    "明天中午十二点送饭",
    "谢谢你啊",
    "家里困难，老伴住院花了好多钱",
    "wo sunzi xiang qu liuxue",
    "dibao zenme shenqing",
    "qing bang wo yuyue zhujie",
    "我腿脚不行，下不了楼，想订个送饭",  # sounds like 叫不醒
    "我爸前年中风了，能办残疾证吗",
    "期货了解一下",
    # A fear or a precaution is the reason to book 助浴, not a fall; elders sit on balconies.
    "我妈洗澡老怕滑倒，想约个助浴",
    "洗澡的时候担心他头晕，有没有人陪着洗",
    "浴室地滑，万一摔倒了咋办，能不能来个人帮着洗",
    "我爸喜欢坐在阳台上晒太阳",
    "老太太天天坐在阳台上织毛衣",
    # A stove that will not light is a repair; a course or a first-aid kit is not a rescue.
    "燃气灶打不着火了，找个师傅来修",
    "烟雾报警器一直叫，没着火，是不是该换电池了",
    "想报个急救培训",
    "家里想备个急救箱",
    "社区有心肺复苏培训吗",
    "怕老爷子洗澡时候摔倒，你们能派人帮忙洗吗",
    "电动车停在楼道里充电，万一着火怎么办",
]


@pytest.fixture(scope="module")
def signs() -> DangerSigns:
    return DangerSigns.load()


@pytest.mark.parametrize("text", DANGER)
def test_danger_signs_are_found(signs: DangerSigns, text: str) -> None:
    assert signs.find(text) is not None


@pytest.mark.parametrize("text", CALM)
def test_everyday_requests_are_not_emergencies(signs: DangerSigns, text: str) -> None:
    assert signs.find(text) is None


# The widest gap a pattern may leave between two words (.{0,30}: "胸口…疼").
MAX_REPEAT = 30


def _repeats(parsed: list[tuple[Any, Any]], inside: int = 0) -> Iterator[tuple[int, int]]:
    """(upper bound, how many repeats that may run more than once enclose it) for every repeat
    in a parsed pattern."""
    for op, arg in parsed:
        if op in (constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT):
            low, high, body = arg
            yield high, inside
            yield from _repeats(body, inside + (high > 1))
        elif op in (constants.SUBPATTERN, constants.ATOMIC_GROUP):
            yield from _repeats(arg[-1], inside)
        elif op == constants.BRANCH:
            for branch in arg[1]:
                yield from _repeats(branch, inside)
        elif op in (constants.ASSERT, constants.ASSERT_NOT):
            yield from _repeats(arg[1], inside)


@pytest.mark.parametrize("lexicon", sorted((PROJECT_ROOT / "bot" / "lexicons").glob("*.yml")))
def test_matching_stays_linear_in_the_length_of_a_message(lexicon: Path) -> None:
    """Every repeat is bounded and none sits inside another that may run more than once, so a
    search tries a bounded number of paths from each character and a long message cannot make
    the regex engine backtrack without end. Checked on the patterns themselves: a timing on a
    busy CI machine said nothing about them (bench: `python -m bench.nlu.lexicons`)."""
    unsafe = []
    for category, patterns in yaml.safe_load(lexicon.read_text(encoding="utf-8")).items():
        for pattern in patterns or []:
            for high, inside in _repeats(list(parser.parse(pattern))):
                if high > MAX_REPEAT or inside:
                    unsafe.append(f"{category}: {pattern}")
    assert not unsafe, "unbounded or nested repeats:\n" + "\n".join(unsafe)


def test_the_check_finds_unbounded_and_nested_repeats() -> None:
    assert list(_repeats(list(parser.parse("胸口.*疼")))) == [(constants.MAXREPEAT, 0)]
    assert list(_repeats(list(parser.parse("(救命.{0,3})+")))) == [
        (constants.MAXREPEAT, 0),
        (3, 1),
    ]
    assert list(_repeats(list(parser.parse("(xi\\s?(ge\\s?)?zao)")))) == [(1, 0), (1, 0), (1, 0)]


PROBES = Path(__file__).parent / "danger_probes"
# The lexicon alone, without the model beside it, on the probes it was extended from.
PROBE_RECALL_FLOOR = 0.99


def test_the_lexicon_alone_finds_the_probes_emergencies(signs: DangerSigns) -> None:
    """tests/nlu/danger_probes/: emergencies and near misses told in residents' words, written
    by seven helpers from invented personas (Henan, Sichuan, the Northeast, Cantonese, Wu, Hakka,
    Hunan, Shandong, Gansu, Shaanxi, Fujian; speech-recognition errors, relays, pinyin, English
    mixed in) without sight of the lexicon or any project data. The third writer's lines,
    written after the lexicon had been extended from the first two, were caught at 59 % by the
    lexicon alone: symptoms told plainly (站都站不起来, 嘴巴有点歪, 血一直往外滋) rather than
    named; the fourth's, after the third round, at 69 % (倒气, 药都攒好了, 穿着睡衣转悠, 吐出来
    的东西像咖啡渣); the fifth's, long rambles with the danger told sideways (a lonely elder
    saving pills, giving away the bracelet, sitting by the river; a scam transfer under way), at
    53 %; the sixth's (a child alone by a stove, a bedridden mother unfed since the carer left,
    a lift dropping, heatstroke, words typed with spaces or wrong characters: 没气 泄漏了, 安眠要,
    有人在 翘 我家门), at 64 %; the seventh's, dangers told inside another request (a booking
    cancelled because of the pills just taken, a status question from a home without food, a
    complaint about a worker who left a door with gas behind it), at 78 %. The lexicon was
    extended from all seven, so they guard it against
    regressions; the honest recall is the fresh set's (bench-nlu). Near misses may be flagged:
    a false alarm costs a sentence, a miss can cost a life."""
    missed, emergencies = [], 0
    for probe in sorted(PROBES.glob("*.tsv")):
        for line in probe.read_text(encoding="utf-8").splitlines():
            label, text = line.split("\t", 1)
            if label == "emergency":
                emergencies += 1
                if signs.find(text) is None:
                    missed.append(text)
    assert emergencies >= 1000
    assert 1 - len(missed) / emergencies >= PROBE_RECALL_FLOOR, missed


def _message(text: str, intent: str, confidence: float, policy: bool = False) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set("intent_ranking", [{"name": intent, "confidence": confidence}])
    entities = [{"entity": "policy", "value": "yiliao_jiuzhu"}] if policy else []
    message.set("entities", entities)
    return message


def test_the_component_overrides_what_the_model_read() -> None:
    component = EmergencyLexicon(DangerSigns.load())
    [message] = component.process([_message("我妈摔倒了起不来", "report_hardship", 0.9)])
    assert message.get("intent") == {"name": "emergency", "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")] == ["emergency", "report_hardship"]


@pytest.mark.parametrize(
    ("text", "read_as", "danger"),
    [
        ("我妈说活着没意思，安眠药都攒好了", "report_hardship", "self_harm"),
        ("他喝多了又在打我", "emergency", "violence"),  # the model read it: named all the same
        ("对方让我马上把养老钱全部转过去", "ask_policy", "fraud_now"),
        ("我妈摔倒了起不来", "report_hardship", "falls"),
    ],
)
def test_an_emergency_names_its_kind_of_danger(text: str, read_as: str, danger: str) -> None:
    component = EmergencyLexicon(DangerSigns.load())
    [message] = component.process([_message(text, read_as, 0.9)])
    assert message.get("intent")["name"] == "emergency"
    assert [(e["entity"], e["value"]) for e in message.get("entities")] == [("danger", danger)]


def test_every_guidance_of_its_own_names_a_kind_of_danger_the_lexicon_finds() -> None:
    help_domain = PROJECT_ROOT / "bot" / "domain" / "help.yml"
    domain = yaml.safe_load(help_domain.read_text(encoding="utf-8"))
    conditioned = {
        condition["value"]
        for variation in domain["responses"]["utter_emergency"]
        for condition in variation.get("condition") or []
    }
    assert conditioned == {"self_harm", "violence", "fraud_now", "gas_fire_poison"}
    assert conditioned <= set(DangerSigns.load().patterns)


def _undecided(text: str, readings: list[tuple[str, float]]) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": "nlu_fallback", "confidence": 0.45})
    ranking = [{"name": "nlu_fallback", "confidence": 0.45}]
    message.set("intent_ranking", ranking + [{"name": n, "confidence": c} for n, c in readings])
    message.set("entities", [])
    return message


def test_an_undecided_message_with_an_emergency_among_its_two_likeliest_is_one() -> None:
    component = EmergencyLexicon(DangerSigns.load())
    # No danger sign in the words: the model's doubt decides.
    text = "我爸那个样子不太对劲"
    [second] = component.process(
        [_undecided(text, [("report_hardship", 0.4), ("emergency", 0.35)])]
    )
    assert second.get("intent") == {"name": "emergency", "confidence": 0.35}
    [third] = component.process(
        [_undecided(text, [("report_hardship", 0.4), ("inform", 0.3), ("emergency", 0.2)])]
    )
    assert third.get("intent")["name"] == "nlu_fallback"


def test_a_confident_question_about_a_named_policy_stays_a_question() -> None:
    component = EmergencyLexicon(DangerSigns.load())
    [asked] = component.process([_message("烧伤了能申请医疗救助吗", "ask_policy", 0.95, True)])
    assert asked.get("intent")["name"] == "ask_policy"
    [unsure] = component.process([_message("烧伤了能申请医疗救助吗", "ask_policy", 0.5, True)])
    assert unsure.get("intent")["name"] == "emergency"


@pytest.mark.parametrize(
    "text", ["13800138000", "138 0013 8000", "一三八零零一三八零零零", "11010519491231002X"]
)
def test_a_bare_number_is_a_detail(text: str) -> None:
    from bot.components.lexicons import BareNumbers

    [message] = BareNumbers().process([_message(text, "goodbye", 0.47)])
    assert message.get("intent")["name"] == "inform"


@pytest.mark.parametrize("text", ["88", "我的电话13800138000，明天来", "120"])
def test_words_around_a_number_are_left_to_the_model(text: str) -> None:
    from bot.components.lexicons import BareNumbers

    [message] = BareNumbers().process([_message(text, "goodbye", 0.47)])
    assert message.get("intent")["name"] == "goodbye"


def _naming_a_policy(text: str, policy: str, value: str, intent: str) -> Message:
    message = _message(text, intent, 0.5)
    start = text.index(policy)
    message.set(
        "entities",
        [{"entity": "policy", "value": value, "start": start, "end": start + len(policy)}],
    )
    return message


@pytest.mark.parametrize(
    ("text", "policy", "value", "read"),
    [
        ("特困供养怎么办", "特困供养", "tekun", "report_hardship"),
        ("低保咋领？", "低保", "dibao", "inform"),
        ("高龄津贴去哪儿办", "高龄津贴", "gaoling_jintie", "nlu_fallback"),
    ],
)
def test_a_policy_named_with_only_a_question_word_is_a_policy_question(
    text: str, policy: str, value: str, read: str
) -> None:
    from bot.components.lexicons import BareNumbers

    [message] = BareNumbers().process([_naming_a_policy(text, policy, value, read)])
    assert message.get("intent")["name"] == "ask_policy"


@pytest.mark.parametrize(
    ("text", "policy", "value", "read"),
    [
        ("低保被取消了以后怎么办", "低保", "dibao", "report_hardship"),  # says more than a question
        ("特困供养", "特困供养", "tekun", "inform"),  # no question: a detail given when asked
        ("低保怎么办", "低保", "dibao", "check_status"),  # a reading it does not override
    ],
)
def test_a_policy_named_in_more_words_is_left_to_the_model(
    text: str, policy: str, value: str, read: str
) -> None:
    from bot.components.lexicons import BareNumbers

    [message] = BareNumbers().process([_naming_a_policy(text, policy, value, read)])
    assert message.get("intent")["name"] == read
