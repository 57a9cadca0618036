"""A local stand-in for Microsoft's edge-tts websocket service: the same protocol (speech.config
and SSML in; turn.start, binary "Path:audio" MP3 chunks and turn.end out), with real Mandarin
speech encoded to MP3. It records what it was asked, and can be made slow."""

import asyncio
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import av
from aiohttp import WSMsgType, web

from voice.audio import SAMPLE_RATE, read_audio_file


def mp3_of(wav: Path) -> bytes:
    pcm = read_audio_file(wav)
    out = io.BytesIO()
    # Bare MP3 frames, as the service sends them: no ID3 tag, no Xing header.
    options = {"id3v2_version": "0", "write_xing": "0"}
    with av.open(out, "w", format="mp3", options=options) as container:
        stream = container.add_stream("libmp3lame", rate=24_000, layout="mono")
        frame = av.AudioFrame(format="s16", layout="mono", samples=len(pcm) // 2)
        frame.planes[0].update(pcm)
        frame.sample_rate = SAMPLE_RATE
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


@dataclass
class EdgeStandIn:
    mp3: bytes
    delay_s: float = 0.0  # before the first audio chunk
    ssml: list[str] = field(default_factory=list)
    url: str = ""

    def spoken_texts(self) -> list[str]:
        return [re.sub(r"<[^>]+>", "", s).strip() for s in self.ssml]

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        async for message in socket:
            if message.type != WSMsgType.TEXT or "Path:ssml" not in message.data:
                continue
            self.ssml.append(message.data.split("\r\n\r\n", 1)[1])
            await socket.send_str("X-RequestId:1\r\nPath:turn.start\r\n\r\n{}")
            await asyncio.sleep(self.delay_s)
            for start in range(0, len(self.mp3), 4096):
                headers = b"X-RequestId:1\r\nContent-Type:audio/mpeg\r\nPath:audio\r\n"
                body = self.mp3[start : start + 4096]
                await socket.send_bytes(len(headers).to_bytes(2, "big") + headers + body)
            await socket.send_str("X-RequestId:1\r\nPath:turn.end\r\n\r\n{}")
        return socket


@asynccontextmanager
async def edge_standin(mp3: bytes, delay_s: float = 0.0) -> AsyncIterator[EdgeStandIn]:
    standin = EdgeStandIn(mp3, delay_s)
    app = web.Application()
    app.router.add_get("/edge/v1", standin.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    standin.url = f"ws://127.0.0.1:{port}/edge/v1"
    try:
        yield standin
    finally:
        await runner.cleanup()
