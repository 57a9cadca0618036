"""What the simulated residents say: whole conversations, each a list of turns with a word the
reply must contain (empty: any non-empty text will do). Written apart from the training data,
as plain residents would type them."""

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Turn:
    text: str
    expect: str = ""


POLICY_QUESTIONS = [
    [Turn("高龄津贴一个月能领多少钱"), Turn("那要带什么材料", "")],
    [Turn("低保怎么申请"), Turn("大概要多久能批下来")],
    [Turn("临时救助是管什么的"), Turn("要准备哪些材料")],
    [Turn("残疾人两项补贴是什么意思"), Turn("一个月发多少")],
]

BOOKINGS = [
    [
        Turn("我想订明天中午的午饭", "地址"),
        Turn("幸福小区3号楼201", "电话"),
        Turn("13800138000"),
        Turn("对", "预约"),
    ],
    [
        Turn("帮我约个后天上午十点的上门理发", "地址"),
        Turn("和平里小区5号楼102", "电话"),
        Turn("13911112222"),
        Turn("对", "预约"),
    ],
]

STATUS_CHECKS = [
    [Turn("你好"), Turn("我之前的预约怎么样了")],
    [Turn("我的申请到哪一步了")],
]

# Weights: most residents ask about a policy, many book, a few check on what they filed.
KINDS = [("policy", POLICY_QUESTIONS, 5), ("booking", BOOKINGS, 3), ("status", STATUS_CHECKS, 2)]


def pick(rng: random.Random) -> tuple[str, list[Turn]]:
    kind, scripts, _ = rng.choices(KINDS, weights=[weight for *_, weight in KINDS])[0]
    return kind, rng.choice(scripts)
