"""What a resident in danger is told about the alert to the social workers, by chat and by
phone alike (actions/help.py after Rasa's guidance, voice/session.py after the bridge's fast
path): notified only once the backend took the alert; otherwise that it is still being tried
or was not filed, and which number to call themselves, the one that fits the kind of danger
the lexicon named (`bot/lexicons/emergency.yml`), so that someone being beaten or robbed on the
phone is not sent to the ambulance. Standard library only."""

ALERTED = "我已经通知了社区工作人员，他们会马上联系您。"

# The number to call while nobody at the community knows yet; the guidance said just before
# (utter_emergency) names the same one first.
_LINES = {
    "violence": "110报警",
    "fraud_now": "110报警",
    "gas_fire_poison": "119或者120",
    "self_harm": "120，或者心理援助热线12356",
}
_DEFAULT_LINE = "120"


def line_to_call(danger: str | None) -> str:
    return _LINES.get(danger or "", _DEFAULT_LINE)


def alert_pending(danger: str | None) -> str:
    """The alert waits in the outbox and is retried until the backend takes it."""
    return (
        "我正在通知社区工作人员，系统暂时还没联系上他们，会一直重试。"
        f"请您先自己拨打{line_to_call(danger)}，别等我们。"
    )


def alert_not_filed(danger: str | None) -> str:
    """The alert was refused or could not even be kept."""
    return f"我这边没能通知到社区工作人员。请您马上自己拨打{line_to_call(danger)}。"


def every_alert_text() -> tuple[str, ...]:
    """Every text above, for the voice prompt cache (said at once, never synthesised late)."""
    dangers = [None, *_LINES]
    return (ALERTED, *map(alert_pending, dangers), *map(alert_not_filed, dangers))
