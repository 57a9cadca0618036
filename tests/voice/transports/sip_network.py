"""The SIP tests' own network: a namespace for baresip joined to the host by a veth pair
(10.77.0.1 here, 10.77.0.2 there), so all SIP and RTP stays on the test's own link, and Debian's
Kamailio as the registrar on 10.77.0.1 (needs root). Context managers the SIP test modules'
fixtures open; baresip's configuration and the phrase files it plays."""

import os
import shutil
import subprocess
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from voice.audio import RateConverter

HOST_IP, PEER_IP = "10.77.0.1", "10.77.0.2"
STOCK_KAMAILIO_CFG = Path("/etc/kamailio/kamailio.cfg")
# baresip sends an empty Supported header, which pyVoIP cannot parse: the proxy drops it.
STRIP_EMPTY_SUPPORTED = (
    'request_route {\n\tif (is_present_hf("Supported") && $hdr(Supported) == "") {\n'
    '\t\tremove_hf("Supported");\n\t}\n'
)


def sh(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


@contextmanager
def network_namespace(tag: str) -> Iterator[str]:
    for tool in ("ip", "kamailio", "baresip"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: scripts/setup-system.sh installs it")
    if os.geteuid() != 0:
        pytest.fail("the SIP test makes a network namespace: it must run as root")
    name, host_link, peer_link = (
        f"linli-{tag}-{os.getpid()}",
        f"l{tag[:3]}{os.getpid() % 10000}a",
        "lsippeer",
    )
    sh("ip", "netns", "add", name)
    try:
        sh("ip", "link", "add", host_link, "type", "veth", "peer", "name", peer_link)
        sh("ip", "link", "set", peer_link, "netns", name)
        sh("ip", "addr", "add", f"{HOST_IP}/24", "dev", host_link)
        sh("ip", "link", "set", host_link, "up")
        sh("ip", "netns", "exec", name, "ip", "addr", "add", f"{PEER_IP}/24", "dev", peer_link)
        sh("ip", "netns", "exec", name, "ip", "link", "set", peer_link, "up")
        sh("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield name
    finally:
        subprocess.run(["ip", "link", "del", host_link], capture_output=True)
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def udp_listening(address: str) -> bool:
    out = subprocess.run(["ss", "-lnu"], capture_output=True, text=True).stdout
    return address in out


@contextmanager
def kamailio_registrar(work: Path) -> Iterator[str]:
    """The stock Debian configuration (a registrar without authentication) on port 5060."""
    config = STOCK_KAMAILIO_CFG.read_text().replace("request_route {\n", STRIP_EMPTY_SUPPORTED, 1)
    (work / "kamailio.cfg").write_text(config)
    log = (work / "kamailio.log").open("wb")
    process = subprocess.Popen(
        ["kamailio", "-f", str(work / "kamailio.cfg"), "-DD", "-E", "-n", "1",
         "-l", f"udp:{HOST_IP}:5060", "-Y", str(work), "-P", str(work / "kamailio.pid")],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while not udp_listening(f"{HOST_IP}:5060"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"kamailio did not start:\n{(work / 'kamailio.log').read_text()}")
            time.sleep(0.2)
        yield f"{HOST_IP}:5060"
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def write_wav_8k(path: Path, pcm_16k: bytes) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8_000)
        wav.writeframes(RateConverter(16_000, 8_000).convert(pcm_16k))


def baresip_config(config: Path, microphone: Path, recordings: Path, accounts: list[str]) -> None:
    """baresip playing `microphone` into every call and recording what it hears."""
    config.mkdir()
    recordings.mkdir(exist_ok=True)
    (config / "config").write_text(
        f"sip_listen {PEER_IP}:5060\n"
        f"audio_source aufile,{microphone}\naudio_player aufile,/dev/null\n"
        "ausrc_srate 8000\nauplay_srate 8000\nausrc_channels 1\nauplay_channels 1\n"
        "module_path /usr/lib/baresip/modules\n"
        "module g711.so\nmodule aufile.so\nmodule sndfile.so\nmodule account.so\nmodule menu.so\n"
        f"snd_path {recordings}\n"
    )
    (config / "accounts").write_text("".join(f"{account}\n" for account in accounts))
