"""Linli calls out over SIP (issue 18): the backend's call plans, claimed by a real
`linli-voice-serve` with the SIP user agent, dialled through Debian's Kamailio to Debian's
baresip in a network namespace (`sip_network.py`; needs root).

- A wellbeing call to an elder whose phone answers and says they feel unwell: Rasa's wellbeing
  dialogue files a need report, the result escalates to the worker on duty, and the worker
  console shows both.
- A call nobody answers rings out (CANCEL), is tried again after the backend and the bridge
  were both restarted, and is escalated exactly once; nothing is placed twice, and a plan
  whose calling hours exclude now waits.
"""

import re
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.voice.test_calls import spoken
from tests.voice.transports.plans import (
    FINISHED,
    UNWELL,
    calls_of,
    console_page,
    due_now,
    plan,
    resident,
    wait_until,
)
from tests.voice.transports.sip_network import (
    HOST_IP,
    baresip_config,
    write_wav_8k,
)
from testsupport.servers import APP_PYTHON, Backend, Stack, backend_server, running, staff_client
from testsupport.servers import free_port as any_free_port
from testsupport.voice_server import serve_env
from voice.audio import read_audio_file

pytestmark = pytest.mark.e2e
ELDER, ALONE, NIGHT_OWL = "13800000001", "13800000002", "13800000003"


@pytest.fixture(scope="module")
def phones(
    namespace: str, kamailio: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """baresip with two lines registered: the elder's, which answers at once and says UNWELL
    after the opening, and one that rings and rings. Its log, for counting INVITEs."""
    work = tmp_path_factory.mktemp("baresip")
    microphone = work / "elder.wav"
    said = read_audio_file(spoken(UNWELL, work / "unwell.wav"))
    # Quiet while Linli says who is calling (about ten seconds), then the answer, then
    # quiet while Linli answers (aufile ends the call when the file ends).
    write_wav_8k(microphone, bytes(32_000 * 11) + said + bytes(32_000 * 60))
    baresip_config(
        work / "config", microphone, work / "recordings",
        [f"<sip:{ELDER}@{HOST_IP}>;answermode=auto;regint=600",
         f"<sip:{ALONE}@{HOST_IP}>;answermode=manual;regint=600"],
    )  # fmt: skip
    log_path = work / "baresip.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            ["ip", "netns", "exec", namespace, "baresip", "-f", str(work / "config"), "-t", "900"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_until(lambda: log_path.read_text().count("200 OK") >= 2, 20, log_path)
            yield log_path
        finally:
            process.terminate()
            process.wait(timeout=15)


@contextmanager
def bridge(stack: Stack, backend: Backend, work: Path) -> Iterator[Path]:
    """`linli-voice-serve` with SIP and the call plans on; ready once registered."""
    work.mkdir(parents=True, exist_ok=True)
    control_port = any_free_port()
    rtp_low = 33_000 + secrets.randbelow(500) * 20
    env = serve_env(
        Stack(stack.rasa_url, backend, front_keys=stack.front_keys),
        media_token=secrets.token_urlsafe(24), audiosocket_port=any_free_port(),
        audiosocket_control_port=control_port, websocket_enabled="false",
        sip_enabled="true", sip_registrar_host=HOST_IP, sip_registrar_port=5060,
        sip_user="linli", sip_local_ip=HOST_IP, sip_local_port=any_free_port(),
        sip_rtp_port_low=rtp_low, sip_rtp_port_high=rtp_low + 19,
        outbound_enabled="true", outbound_poll_s=1, outbound_ring_s=6,
        outbound_no_answer_s=8, outbound_claimer=f"bridge-{work.name}",
        outbox_path=work / "outbox.db",
    )  # fmt: skip
    with running(
        "voice-serve-outbound", [str(APP_PYTHON), "-m", "voice.serve"], env,
        f"http://127.0.0.1:{control_port}/health", work, timeout=120,
    ):  # fmt: skip
        yield work


def incoming_calls(baresip_log: Path, number: str) -> int:
    """Calls that reached one of baresip's lines: rung (manual answer) or answered (auto)."""
    line = rf"{number}@{re.escape(HOST_IP)}: (?:Incoming call|Call established)"
    return len(re.findall(line, baresip_log.read_text()))


def test_an_elder_who_feels_unwell_is_followed_up(
    phones: Path, stack: Stack, staff: httpx.Client, tmp_path: Path
) -> None:
    elder = resident(staff, "王秀兰", ELDER)
    plan_id = plan(staff, elder, open_now=True, salutation="王阿姨")
    due_now(stack.backend, plan_id)
    with bridge(stack, stack.backend, tmp_path):
        calls = wait_until(
            lambda: [c for c in calls_of(staff, plan_id) if c["status"] in FINISHED], 120, phones
        )
    call = calls[0]
    assert call["status"] == "answered", call
    assert call["outcome"] == "unwell", call
    assert "不太舒服" in call["note"] or "腰" in call["note"], call
    # The distress follow-up, for the worker on duty, with the resident's phone to call.
    assert call["escalated_to"], call
    handoff = [h for h in staff.get("/handoffs").json() if h["number"] == call["escalated_to"]]
    assert handoff and handoff[0]["reason"] == "distress", handoff
    # Rasa's wellbeing dialogue filed the need report, urgent, for a home visit.
    reports = [
        r for r in staff.get("/need-reports").json() if call["number"] in (r["source_detail"] or "")
    ]
    assert len(reports) == 1, reports
    assert reports[0]["urgent"] and reports[0]["needs_home_visit"], reports
    # Linli hung up through the proxy (its BYE followed the dialog's route set).
    assert incoming_calls(phones, ELDER) == 1
    assert re.search(r"terminated \(duration: \d+ secs\)", phones.read_text()), phones.read_text()
    outbound = console_page(stack.backend, "/console/outbound")
    assert "王秀兰" in outbound and "身体不适" in outbound and call["escalated_to"] in outbound
    assert call["number"] in console_page(stack.backend, "/console/needs")


def test_a_call_nobody_answers_is_retried_across_restarts_and_escalated_once(
    phones: Path, stack: Stack, tmp_path: Path
) -> None:
    port = any_free_port()
    with backend_server(tmp_path, port=port) as backend, staff_client(backend) as staff:
        alone = plan(staff, resident(staff, "李德顺", ALONE), open_now=True, max_tries=2)
        night = plan(staff, resident(staff, "赵桂芝", NIGHT_OWL), open_now=False)
        due_now(backend, alone)
        due_now(backend, night)
        with bridge(stack, backend, tmp_path / "bridge-1"):
            wait_until(lambda: [c for c in calls_of(staff, alone) if c["status"] in FINISHED], 60)
        first = calls_of(staff, alone)
        assert [(c["try_number"], c["status"]) for c in first] == [(1, "unanswered"), (2, "due")]
    # Both stopped between the tries; the second try falls due while they are down.
    due_now(backend, alone)
    with backend_server(tmp_path, port=port) as backend, staff_client(backend) as staff:
        with bridge(stack, backend, tmp_path / "bridge-2"):
            wait_until(lambda: [c for c in calls_of(staff, alone) if c["try_number"] == 2
                                and c["status"] in FINISHED], 60)  # fmt: skip
        tries = calls_of(staff, alone)
        assert [(c["try_number"], c["status"]) for c in tries] == [
            (1, "unanswered"),
            (2, "unanswered"),
        ]
        assert tries[1]["escalated_to"], tries
        escalations = [h for h in staff.get("/handoffs").json() if h["reason"] == "no_answer"]
        assert [h["number"] for h in escalations] == [tries[1]["escalated_to"]]
        # The plan out of its calling hours was never claimed.
        waiting = calls_of(staff, night)
        assert [(c["status"], c["try_number"]) for c in waiting] == [("due", 1)], waiting
    assert incoming_calls(phones, ALONE) == 2, phones.read_text()[-3000:]
