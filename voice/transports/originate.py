"""Placing calls through Asterisk (issue 18): AudioSocket cannot originate, so Linli asks
Asterisk over AMI (panoramisk) to `Originate` the callee's channel into a dialplan context that,
once the callee answers, connects the call to Linli's AudioSocket with the UUID Linli chose:

    [linli-outbound]
    exten => s,1,Set(PLAN=${CURL(http://127.0.0.1:9093/outbound/${LINLI_CALL},,
                         httpheader=Authorization: Bearer <media token>)})
     same => n,GotoIf($["${PLAN}" = ""]?done)
     same => n,Set(CDR(userfield)=${PLAN})
     same => n,AudioSocket(${LINLI_CALL},127.0.0.1:9092)
     same => n,Set(NEXT=${CURL(http://127.0.0.1:9093/audiosocket/${LINLI_CALL},,...)})
     same => n,GotoIf($["${NEXT}" != ""]?queue,${NEXT},1)
     same => n(done),Hangup()

(the README has the whole context and the manager.conf user). Asterisk's `OriginateResponse`
says when nobody answered (reason 3), the line was busy (5) or congested (8).
"""

import asyncio
import logging
import uuid
from typing import Any

from panoramisk import Manager

from voice.call.plan import PlannedCall, dial_string
from voice.settings import VoiceSettings
from voice.transports.audiosocket import AudioSocketServer
from voice.transports.base import Transport

log = logging.getLogger(__name__)
# Asterisk's OriginateResponse reasons (include/asterisk/frame.h, AST_CONTROL_*).
REASONS = {0: "没有接通", 1: "线路挂断", 3: "响铃无人接听", 5: "对方忙线", 8: "线路拥塞"}
# After Asterisk says the callee answered, the dialplan connects the AudioSocket within this.
CONNECT_TIMEOUT_S = 15.0


class AsteriskRefusedError(RuntimeError):
    """Asterisk did not take the Originate (login, channel or context wrong)."""


class AmiOriginator:
    def __init__(self, settings: VoiceSettings, audiosocket: AudioSocketServer) -> None:
        self.settings = settings
        self.audiosocket = audiosocket
        self.manager: Manager | None = None

    async def start(self) -> None:
        settings = self.settings
        self.manager = Manager(
            host=settings.ami_host, port=settings.ami_port, username=settings.ami_username,
            secret=settings.ami_secret.get_secret_value(), events="call",
            loop=asyncio.get_running_loop(), log=log,
        )  # fmt: skip
        try:
            await self.manager.connect()
        except OSError as error:  # panoramisk keeps trying to connect
            log.error("cannot reach Asterisk's manager interface: %r", error)

    def close(self) -> None:
        if self.manager is not None:
            self.manager.close()

    def ready(self) -> bool:
        return self.manager is not None and bool(self.manager.authenticated)

    async def dial(self, planned: PlannedCall) -> Transport | str:
        if self.manager is None or not self.manager.authenticated:
            raise AsteriskRefusedError("not logged in to Asterisk's manager interface")
        settings = self.settings
        call_uuid = str(uuid.uuid4())
        answered = self.audiosocket.expect(call_uuid, planned)
        try:
            replies = await self.manager.send_action(
                {
                    "Action": "Originate",
                    "ActionID": f"linli-{call_uuid}",
                    "Channel": settings.ami_channel.format(number=dial_string(planned.phone)),
                    "Context": settings.ami_context,
                    "Exten": "s",
                    "Priority": "1",
                    "Timeout": str(int(settings.outbound_ring_s * 1000)),
                    "Variable": f"LINLI_CALL={call_uuid}",
                    "Async": "true",
                    **({"CallerID": settings.ami_caller_id} if settings.ami_caller_id else {}),
                }
            )
            reason = _failure(replies)
            if reason is not None:
                return reason
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                return await answered
        except TimeoutError:
            return "接通后没有连上邻里通"
        finally:
            self.audiosocket.forget(call_uuid)


def _failure(replies: Any) -> str | None:
    """Why the Originate placed no call, or None when the callee answered."""
    messages = replies if isinstance(replies, list) else [replies]
    first = messages[0]
    if not first.success:
        raise AsteriskRefusedError(f"Asterisk refused the Originate: {first.get('Message')}")
    outcome = next((m for m in messages if m.get("Event") == "OriginateResponse"), None)
    if outcome is None or outcome.get("Response") == "Success":
        return None
    try:
        code = int(outcome.get("Reason") or 0)
    except ValueError:
        code = 0
    return REASONS.get(code, f"没有接通（{code}）")
