"""Transports carry calls into a `CallSession`, each subclassing
`voice.transports.base.Transport`: Asterisk AudioSocket (`audiosocket`), WebSocket media
streams (`websocket`) and SIP (`sip`), their wire formats parsed by pure functions."""
