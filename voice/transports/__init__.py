"""Transports carry calls into a `CallSession`, each subclassing
`voice.transports.base.Transport`: Asterisk AudioSocket (`audiosocket`) and WebSocket media
streams (`websocket`), their wire formats parsed by pure functions beside them."""
