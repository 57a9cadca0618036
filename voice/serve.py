"""`linli-voice-serve`: the telephony servers enabled in the voice settings, in one process
sharing the speech models (AudioSocket :9092 + control :9093, WebSocket :8765 by default, all
on 127.0.0.1; the SIP user agent when `LINLI_VOICE_SIP_ENABLED`, and with it the calls of the
backend's call plans when `LINLI_VOICE_OUTBOUND_ENABLED`). WebSocket calls and control
answers need `LINLI_VOICE_MEDIA_TOKEN`."""

import argparse
import asyncio
import logging
import signal
import sys

from websockets.asyncio.server import Server

from common.outbox import rotate_at_start, run_flusher
from voice.outbound import Dialer, OutboundCaller
from voice.services import VoiceServices
from voice.settings import SttEngineName, VoiceSettings, get_settings
from voice.transports.audiosocket import AudioSocketServer
from voice.transports.originate import AmiOriginator
from voice.transports.sip import SipServer
from voice.transports.websocket import WebSocketServer

log = logging.getLogger("voice.serve")

OUTBOX_BATCH = 50


async def serve(settings: VoiceSettings, ready: asyncio.Event | None = None) -> None:
    """Runs until cancelled (or SIGTERM / SIGINT); calls in progress are ended as errors."""
    services = await ready_services(settings)
    if services is None:  # no speech model at all: idle, so `make run` keeps its other servers
        await asyncio.Event().wait()
        return
    settings = services.settings
    sip: SipServer | None = None
    if settings.sip_enabled:
        sip = SipServer(services)
        await sip.start()
        log.warning("SIP user %s registered with %s:%d (SIP on %s:%d)", settings.sip_user,
                    settings.sip_registrar_host, settings.sip_registrar_port,
                    settings.sip_local_ip, settings.sip_local_port)  # fmt: skip
    servers: list[asyncio.AbstractServer | Server] = []
    audiosocket: AudioSocketServer | None = None
    if settings.audiosocket_enabled:
        audiosocket = AudioSocketServer(services)
        servers += await audiosocket.start()
        log.warning(
            "AudioSocket on %s:%d (control HTTP :%d)", settings.audiosocket_host,
            settings.audiosocket_port, settings.audiosocket_control_port,
        )  # fmt: skip
    if not settings.media_token.get_secret_value() and (
        settings.websocket_enabled or settings.audiosocket_enabled
    ):
        log.error("LINLI_VOICE_MEDIA_TOKEN is not set (`make run` writes it to var/linli.env): "
                  "no WebSocket calls, and the control port answers no call")  # fmt: skip
    websocket: WebSocketServer | None = None
    if settings.websocket_enabled and settings.media_token.get_secret_value():
        websocket = WebSocketServer(services)
        servers.append(await websocket.start())
        log.warning("WebSocket media streams on %s:%d", settings.websocket_host,
                    settings.websocket_port)  # fmt: skip
    originator: AmiOriginator | None = None
    if settings.outbound_enabled and settings.outbound_transport == "audiosocket" and audiosocket:
        originator = AmiOriginator(settings, audiosocket)
        await originator.start()
    outbound: asyncio.Task[None] | None = None
    caller: OutboundCaller | None = None
    if settings.outbound_enabled:
        dialer: Dialer | None = {"sip": sip, "websocket": websocket}.get(
            settings.outbound_transport, originator
        )
        if dialer is None:
            log.error("LINLI_VOICE_OUTBOUND_ENABLED: the %s transport is not on, so no calls "
                      "are placed", settings.outbound_transport)  # fmt: skip
        else:
            caller = OutboundCaller(services, dialer)
            outbound = asyncio.create_task(caller.run(), name="voice-outbound")
            log.warning("placing the calls of the call plans over %s as %s",
                        settings.outbound_transport, settings.outbound_claimer)  # fmt: skip
    if not servers and sip is None:
        log.warning("no telephony transport is enabled (LINLI_VOICE_*_ENABLED)")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # Handoffs the bridge filed while the backend was away are sent from here until it takes them.
    rotate_at_start(services.backend.outbox)
    flusher = asyncio.create_task(
        run_flusher(services.backend.flush_outbox, interval_s=settings.outbox_flush_interval_s,
                    batch=OUTBOX_BATCH),
        name="voice-outbox-flusher",
    )  # fmt: skip
    if ready is not None:
        ready.set()
    print("linli-voice-serve: ready", flush=True)
    try:
        await stop.wait()
    finally:
        flusher.cancel()
        if outbound is not None and caller is not None:
            outbound.cancel()
            await caller.stop()
        if originator is not None:
            originator.close()
        for server in servers:
            server.close()
        if sip is not None:
            await sip.stop()
        if audiosocket is not None:
            for call in list(audiosocket.calls):
                call.cancel()
        await services.aclose()


async def ready_services(settings: VoiceSettings) -> VoiceServices | None:
    """Services with their models loaded; the other recognizer when the configured one's model
    is missing (a fresh machine has Whisper but may not have the Mandarin Vosk model)."""
    engines: list[SttEngineName] = [settings.stt_engine]
    engines.append("whisper" if settings.stt_engine == "vosk" else "vosk")
    for engine in engines:
        services = VoiceServices.create(settings.model_copy(update={"stt_engine": engine}))
        try:
            await services.warm_up()
            return services
        except Exception as error:
            log.error("cannot load the %s speech model (%r): no calls with it", engine, error)
            await services.aclose()
    log.error("no speech recognizer loads: telephony is off until a model is installed")
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="linli-voice-serve", description=__doc__)
    parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")  # fmt: skip
    asyncio.run(serve(get_settings()))


if __name__ == "__main__":
    main()
