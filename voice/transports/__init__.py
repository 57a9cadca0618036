"""Transports carry calls into a `CallSession`: Asterisk AudioSocket, WebSocket media streams
and SIP each subclass `voice.transports.base.Transport` (the telephony issue builds them)."""
