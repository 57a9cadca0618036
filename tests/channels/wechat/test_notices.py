"""Notices: an emergency reaches the workers on 企业微信 exactly once even when the first push
fails; a resident links their WeChat with phone and ID number and hears when a worker is
assigned."""

from typing import Any

import httpx

from tests.channels.wechat.support import Resident, new_person
from testsupport.wechat_channel import RunningChannel
from testsupport.wechat_standin import AGENT_ID, WechatServer, WechatStandIn


def alerts_about(standin: WechatStandIn, number: str, start: int = 0) -> dict[str, list[Any]]:
    app = [
        call
        for call in standin.calls_since(start, "message/send")
        if call.api == "wecom" and number in str(call.body.get("text", {}).get("content", ""))
    ]
    robot = [
        call
        for call in standin.calls_since(start, "send")
        if call.api == "robot" and number in str(call.body.get("text", {}).get("content", ""))
    ]
    return {"app": app, "robot": robot}


def handoff_number(staff: httpx.Client, sender_id: str) -> str:
    handoffs = [h for h in staff.get("/handoffs").json() if h["sender_id"] == sender_id]
    assert len(handoffs) == 1, handoffs
    return str(handoffs[0]["number"])


def test_an_emergency_reaches_wecom_once_even_when_the_first_push_fails(
    wechat: WechatServer, standin: WechatStandIn, staff: httpx.Client, channel: RunningChannel
) -> None:
    resident = Resident(wechat, standin)
    standin.refuse_wecom = 1  # the first push is refused (WeCom "system busy")
    told = resident.answer("我摔倒了起不来了快来人啊")
    assert "120" in told, told
    number = handoff_number(staff, resident.sender_id)
    standin.wait_for(
        lambda calls: (
            len(alerts_about(standin, number)["app"]) == 2
            and len(alerts_about(standin, number)["robot"]) == 1
        ),
        what="the emergency alert, retried once",
    )
    refused, taken = alerts_about(standin, number)["app"]
    assert refused.body == taken.body
    assert taken.body["agentid"] == AGENT_ID and taken.body["touser"] == "duty1|duty2"
    content = taken.body["text"]["content"]
    assert content.startswith("【🚨 紧急求助】") and "/console/" in content
    assert "13" not in content.replace(number, "")  # no phone number in an alert

    # Another hand-off's alert arrives after the first was confirmed: the emergency stays sent
    # once (a notice not confirmed would have been sent again first, within the same rounds).
    other = Resident(wechat, standin)
    other.answer("转人工")
    second = handoff_number(staff, other.sender_id)
    standin.wait_for(
        lambda calls: len(alerts_about(standin, second)["robot"]) == 1, what="the second alert"
    )
    assert len(alerts_about(standin, number)["app"]) == 2
    assert len(alerts_about(standin, number)["robot"]) == 1
    [notice] = [n for n in staff.get("/notifications").json() if n["subject"] == number]
    assert notice["delivered_at"] is not None and notice["attempts"] == 2


def test_a_linked_resident_hears_when_a_worker_is_assigned(
    wechat: WechatServer, standin: WechatStandIn, staff: httpx.Client
) -> None:
    resident = Resident(wechat, standin)
    phone, id_number, other_id_number = new_person()
    created = staff.post(
        "/residents",
        json={"name": "赵桂兰", "phone": phone, "id_number": id_number, "id_number_consent": True},
    )
    assert created.status_code == 201, created.text

    assert "同意" in resident.say("绑定").reply
    assert "身份证号" in resident.say("同意").reply
    wrong = resident.say(f"{phone} {other_id_number}").reply
    assert "没能对上" in wrong, wrong
    assert "绑定好了" in resident.say(f"我的手机{phone}，身份证{id_number}").reply
    linked = staff.get(f"/residents/{created.json()['id']}").json()
    assert linked["wechat_id"] == resident.sender_id

    # A booking filed for her by staff (not from WeChat) reaches her WeChat once dispatched.
    provider = staff.post(
        "/providers",
        json={
            "name": f"邻里家政{resident.openid[-6:]}",
            "phone": "13600002222",
            "service_codes": ["zhujie"],
        },
    ).json()
    account = staff.post(
        "/staff-users",
        json={
            "username": f"w-{resident.openid[-6:]}",
            "password": "Pw-worker-2026!x",
            "role": "provider_worker",
            "provider_id": provider["id"],
        },
    )
    assert account.status_code == 201, account.text
    booking = staff.post(
        "/bookings",
        json={
            "service": "zhujie",
            "scheduled_at": "2027-01-05T02:00:00+00:00",
            "address": "幸福小区5号楼101",
            "phone": phone,
            "channel": "staff",
        },
    )
    assert booking.status_code == 201, booking.text
    number = booking.json()["number"]
    start = len(standin.calls)
    dispatched = staff.post(
        f"/bookings/{number}/dispatch",
        json={"provider_id": provider["id"], "worker": account.json()["username"]},
    )
    assert dispatched.status_code == 200, dispatched.text

    def templates() -> list[Any]:
        return [
            c
            for c in standin.calls_since(start, "message/template/send")
            if c.body.get("touser") == resident.openid
        ]

    standin.wait_for(lambda calls: bool(templates()), what="the template message")
    [sent] = templates()
    assert sent.body["template_id"] == "tmpl-worker-assigned"
    assert number in sent.body["data"]["keyword1"]["value"]
    assert "已安排服务人员" in sent.body["data"]["keyword2"]["value"]
