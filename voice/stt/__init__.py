"""Speech recognition engines: one model per process, one recognizer per call."""

from voice.settings import SttEngineName, VoiceSettings
from voice.stt.base import CallRecognizer, SpeechRecognizer

_loaded: dict[tuple[str, str], SpeechRecognizer] = {}  # (engine, model path and grammar)


def get_speech_recognizer(
    settings: VoiceSettings, engine: SttEngineName | None = None
) -> SpeechRecognizer:
    """The process-wide engine for `engine` (default: the setting), loading its model once."""
    name = engine or settings.stt_engine
    path = settings.vosk_model_path if name == "vosk" else settings.whisper_model_path
    key = (name, f"{path}|{'|'.join(settings.vosk_grammar)}")
    if key not in _loaded:
        if name == "vosk":
            from voice.stt.vosk import VoskRecognizer

            _loaded[key] = VoskRecognizer(
                path, threads=settings.asr_threads, grammar=settings.vosk_grammar
            )
        else:
            from voice.stt.whisper import WhisperRecognizer

            _loaded[key] = WhisperRecognizer(settings)
    return _loaded[key]


__all__ = ["CallRecognizer", "SpeechRecognizer", "get_speech_recognizer"]
