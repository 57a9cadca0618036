"""Policy questions, answered from the backend's knowledge base."""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backend import (
    BackendRejectedError,
    BackendUnavailableError,
    shared_backend_client,
)
from actions.conversation import latest_intent, latest_text
from actions.labels import POLICY_NAMES
from actions.prompts import say

# Which aspect of a policy a question asks about, by the words residents use. Checked in this
# order: "多久" (how long) must win over "多少" (how much).
ASPECT_KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("timeline", ("多久", "多长时间", "几天", "啥时候到", "什么时候到", "到账", "时限", "批下来")),
    ("materials", ("材料", "带什么", "带啥", "证件", "准备什么", "准备啥", "证明", "資料")),
    ("process", ("怎么申请", "如何申请", "咋申请", "怎么办", "咋办", "去哪", "在哪", "哪里办",
                 "流程", "怎么领", "咋领", "手续", "步骤", "找谁", "申請")),
    ("amount", ("多少钱", "多少", "标准", "金额", "几块", "给多少", "能领多少", "补多少", "钱")),
    ("conditions", ("条件", "资格", "谁能", "什么人", "哪些人", "符合", "够不够", "要求")),
]  # fmt: skip


def detect_aspect(text: str) -> str | None:
    for aspect, keywords in ASPECT_KEYWORDS:
        if any(keyword in text for keyword in keywords):
            return aspect
    return None


class ActionAnswerPolicy(Action):
    def name(self) -> str:
        return "action_answer_policy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # A policy named in this message wins; otherwise the one we were talking about.
        policy = next(tracker.get_latest_entity_values("policy"), None) or tracker.get_slot(
            "policy"
        )
        if not policy:
            say(dispatcher, "ask_which_policy")
            return []
        aspect = detect_aspect(latest_text(tracker))
        if aspect is None and latest_intent(tracker) == "check_eligibility":
            aspect = "conditions"
        try:
            async with shared_backend_client() as backend:
                answer = await backend.policy_answer(policy, aspect)
        except (BackendUnavailableError, BackendRejectedError):
            dispatcher.utter_message(
                text="不好意思，政策查询系统暂时连不上。您可以稍后再问，或者说“转人工”让社工帮您。"
            )
            return [SlotSet("policy", policy)]
        if answer is None:
            name = POLICY_NAMES.get(policy, "这项政策")
            dispatcher.utter_message(
                text=f"{name}的详细规定我这里还没有收录。您可以说“转人工”，让社工给您讲清楚。"
            )
            return [SlotSet("policy", policy)]
        topic = f"{answer.name}的{answer.aspect_name}" if answer.aspect_name else answer.name
        sample = "，样例数据" if answer.sample else ""
        dispatcher.utter_message(
            text=f"{topic}：{answer.text}\n（{answer.region}，{answer.year}年{sample}；"
            f"来源：{answer.source}）"
        )
        return [SlotSet("policy", policy)]
