"""Services described rather than named (bot/lexicons/services.yml, common/service_descriptions.py,
bot/components/lexicons.py). Descriptions written from the services' tasks, not from any set
the model is measured on."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.components.lexicons import ServiceLexicon
from common.service_descriptions import ServiceDescriptions, asks_for_help

DESCRIBED = [
    ("能不能找个人陪我妈去医院复查", "zhuyi"),
    ("家里电视没图像了", "weixiu"),
    ("厨房水管漏水", "weixiu"),
    ("帮我爸交一下电费", "daiban"),
    ("每天中午给我爸送顿饭", "zhucan"),
    ("我爸一个人闷得慌，想找人陪他聊聊天", "peiliao"),
    ("老太太自己洗不了澡了", "zhuyu"),
    ("家里好久没打扫了", "zhujie"),
    ("爷爷头发太长了，能上门剪吗", "lifa"),
    ("我约的车怎么还没到", "jiaoche"),
    ("中风以后想在家做做按摩康复", "kangfu"),
    # Dialect and everyday words for the same tasks.
    ("能不能叫部车送我去医院", "jiaoche"),
    ("屋头好久没打整了", "zhujie"),
    ("屋企好耐冇执屋", "zhujie"),
    ("家里乱得很，想找人拾掇拾掇", "zhujie"),
    ("热水器坏了，喊个师傅来看看", "weixiu"),
    ("厕所灯泡烧了", "weixiu"),
    ("阿拉姆妈想寻人来汏浴", "zhuyu"),
    ("想找个人陪我爸摆龙门阵", "peiliao"),
    ("出院以后要做恢复训练", "kangfu"),
    ("给我妈理个发", "lifa"),
    ("今天送的饭太凉了", "zhucan"),
    ("下周三去医院做胃镜，想找个人跟着", "zhuyi"),
    ("屋里好久莫得人收拾，到处都是灰", "zhujie"),
    ("厨房的地帮我扫一下", "zhujie"),
    ("阿拉屋里空调勿出冷风，电视也勿出声音了", "weixiu"),
    ("老头子去邮局取钱走不动，能不能替他跑一趟", "daiban"),
    ("后天去复查的车还要不要再确认", "jiaoche"),
    # Typed in pinyin.
    ("neng bu neng pai liang che lai jie wo ma", "jiaoche"),
    ("wo ba yao zhao ren rou yi rou yao", "kangfu"),
    ("kongtiao huai le, you ren lai xiu ma", "weixiu"),
    ("xiang qing ren bang wo ma da sao yi xia", "zhujie"),
]


@pytest.fixture(scope="module")
def descriptions() -> ServiceDescriptions:
    return ServiceDescriptions.load()


@pytest.mark.parametrize(("text", "service"), DESCRIBED)
def test_described_services_are_found(
    descriptions: ServiceDescriptions, text: str, service: str
) -> None:
    assert service in [value for value, _, _ in descriptions.find(text)]


@pytest.mark.parametrize(
    "text",
    ["低保一个月多少钱", "明天天气怎么样", "谢谢你", "村口那条路啥时候修", "洗身份证复印件要几份"],
)
def test_other_words_describe_no_service(descriptions: ServiceDescriptions, text: str) -> None:
    assert descriptions.find(text) == []


def _message(text: str, intent: str, entities: list[dict[str, str]] | None = None) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": 0.7})
    message.set("intent_ranking", [{"name": intent, "confidence": 0.7}])
    message.set("entities", entities or [])
    return message


def test_a_described_service_becomes_the_entity_of_a_booking() -> None:
    component = ServiceLexicon(ServiceDescriptions.load())
    [message] = component.process([_message("厨房水管漏水了，能派人来看看吗", "book_service")])
    assert [(e["entity"], e["value"]) for e in message.get("entities")] == [("service", "weixiu")]


def test_a_request_for_help_read_as_out_of_scope_becomes_a_booking() -> None:
    component = ServiceLexicon(ServiceDescriptions.load())
    [helped] = component.process([_message("帮我妈交个电费", "out_of_scope")])
    assert helped.get("intent")["name"] == "book_service"
    assert asks_for_help("帮我妈交个电费") and not asks_for_help("电费怎么交")
    [asked] = component.process([_message("电费怎么交", "out_of_scope")])
    assert asked.get("intent")["name"] == "out_of_scope" and asked.get("entities") == []


def test_a_long_message_asks_for_the_help_it_ends_with() -> None:
    """A service told earlier in a story is not the request; one asked for at the end is."""
    component = ServiceLexicon(ServiceDescriptions.load())
    told = (
        "我爸糖尿病十几年了，医生给他开了二甲双胍，我也没法陪他去医院，你说他这种情况吃哪个药更好啊"
    )
    [advice] = component.process([_message(told, "out_of_scope")])
    assert advice.get("intent")["name"] == "out_of_scope" and advice.get("entities") == []
    asked = "我爸糖尿病十几年了，我在深圳离得远，下礼拜他要复查，能不能找个人陪他去医院"
    [booking] = component.process([_message(asked, "out_of_scope")])
    assert booking.get("intent")["name"] == "book_service"
    assert [e["value"] for e in booking.get("entities")] == ["zhuyi"]


def test_a_named_service_is_left_to_the_model_outside_a_booking() -> None:
    component = ServiceLexicon(ServiceDescriptions.load())
    named = [{"entity": "service", "value": "zhucan"}]
    text = "助餐送来的饭太凉了，修水管的也没来"
    [message] = component.process([_message(text, "give_feedback", named)])
    assert message.get("entities") == named


def test_a_booking_that_names_one_service_and_describes_another_gets_both() -> None:
    component = ServiceLexicon(ServiceDescriptions.load())
    named = [{"entity": "service", "value": "zhuyu", "start": 6, "end": 8}]
    text = "明天下午约个助浴，顺便给他理个发"
    [message] = component.process([_message(text, "book_service", named)])
    assert [e["value"] for e in message.get("entities")] == ["zhuyu", "lifa"]


def test_a_name_the_model_left_unmapped_does_not_hide_the_description() -> None:
    component = ServiceLexicon(ServiceDescriptions.load())
    unmapped = [{"entity": "service", "value": "汏浴", "start": 4, "end": 6}]
    [message] = component.process([_message("阿拉姆妈汏浴汏勿动了", "book_service", unmapped)])
    assert ("service", "zhuyu") in [(e["entity"], e["value"]) for e in message.get("entities")]


@pytest.mark.parametrize("text", ["我要定明天中午的贩送到家里", "我想约个师傅", "帮我预约一下"])
def test_a_request_to_book_stays_a_booking_whatever_follows(text: str) -> None:
    component = ServiceLexicon(ServiceDescriptions.load())
    [message] = component.process([_message(text, "check_status")])
    assert message.get("intent")["name"] == "book_service"


@pytest.mark.parametrize("text", ["我订的饭怎么还没到", "我要订的车呢", "我约了助浴，进度怎么样"])
def test_a_question_about_a_booking_made_stays_one(text: str) -> None:
    component = ServiceLexicon(ServiceDescriptions.load())
    [message] = component.process([_message(text, "check_status")])
    assert message.get("intent")["name"] == "check_status"
