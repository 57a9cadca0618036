"""A call Linli places (issue 18): the backend's plan for it, and what the call found.

The backend owns plans, tries and escalation (`api/call_plans`); Rasa owns the dialogue
(`actions/outbound.py`), which ends with a `linli_call` custom message saying what it found;
the telephone owns only whether anyone answered: nobody speaking within a few seconds of the
opening, or an answering machine's words, is no answer.
"""

import re
from dataclasses import dataclass, field
from typing import Any

# What an answering machine or the network says instead of a person (China's carriers and
# voicemail); heard as the callee's first words, the call ends at once as unanswered.
MACHINE_WORDS = re.compile(
    r"(您|你)(拨打|所拨打)的(电话|号码|用户)|暂时无法接通|无人接听|已关机|不在服务区|"
    r"正在通话中|请稍后再拨|语音信箱|提示音后|留言|(电话|号码)是空号|已停机|呼叫转移"
)
# Intents that mean the resident asked for something during the call: a need to follow up.
NEED_INTENTS = frozenset(
    {"book_service", "apply_aid", "report_hardship", "check_eligibility", "give_feedback"}
)
# Rasa's word for what an ending action found; the backend's CallOutcome values.
OUTCOMES = frozenset({"fine", "needs_help", "unwell", "emergency", "stop", "rated", "unclear"})


def dial_string(phone: str) -> str:
    """What to dial for a phone number as the backend keeps it ("+86 138-0013-8000")."""
    return re.sub(r"[^0-9+*#]", "", phone)


@dataclass(frozen=True)
class PlannedCall:
    """One try of a plan, as the bridge claimed it (`POST /outbound-calls/claim`)."""

    id: int
    number: str  # the backend's reference, OC000012
    purpose: str  # wellbeing, callback, outreach
    phone: str
    salutation: str = ""
    policy_code: str | None = None
    try_number: int = 1

    @classmethod
    def from_claim(cls, data: dict[str, Any]) -> "PlannedCall | None":
        """None for a call that cannot be placed (no phone on file)."""
        phone = str(data.get("phone") or "").strip()
        if not phone:
            return None
        return cls(
            id=int(data["id"]),
            number=str(data["number"]),
            purpose=str(data["purpose"]),
            phone=phone,
            salutation=str(data.get("salutation") or ""),
            policy_code=data.get("policy_code"),
            try_number=int(data.get("try_number") or 1),
        )

    def rasa_metadata(self) -> dict[str, Any]:
        return {
            "outbound": {
                "purpose": self.purpose,
                "call": self.number,
                "salutation": self.salutation,
                "policy": self.policy_code or "",
            }
        }


@dataclass
class CallFindings:
    """What the call found, filled in as it goes; `result()` is what the backend is told."""

    answered: bool = False  # someone spoke or pressed a key (not a machine)
    outcome: str | None = None  # from Rasa's ending action
    rating: int | None = None
    notes: list[str] = field(default_factory=list)
    emergency: bool = False
    needs: bool = False

    def take(self, custom: dict[str, Any]) -> bool:
        """A `linli_call` message from Rasa; whether it ends the call."""
        outcome = custom.get("outcome")
        if outcome in OUTCOMES:
            self.outcome = str(outcome)
        rating = custom.get("rating")
        if isinstance(rating, int) and 1 <= rating <= 5:
            self.rating = rating
        note = custom.get("note")
        if isinstance(note, str) and note.strip():
            self.notes.append(note.strip()[:1000])
        return bool(custom.get("end"))

    def result(self) -> dict[str, Any]:
        if not self.answered:
            return {"answered": False, "note": "; ".join(self.notes)[:4000]}
        if self.emergency:
            outcome = "emergency"
        elif self.outcome is not None:
            outcome = self.outcome
        elif self.needs:
            outcome = "needs_help"
        else:
            outcome = "unclear"
        result: dict[str, Any] = {
            "answered": True,
            "outcome": outcome,
            "note": "; ".join(self.notes)[:4000],
        }
        if self.rating is not None:
            result["rating"] = self.rating
        return result
