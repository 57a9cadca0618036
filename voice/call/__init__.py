"""The parts of one phone call, each small and tested on its own without a network (the way
pipecat separates processors); `voice/session.py`'s `CallSession` wires them together and owns
what the call says:

- `events`: what a call sends its transport (bot audio, stop, done, transfer, hang-up, turns);
- `listening`: caller audio → utterances (endpointing, pre-roll, early decode, length cap);
- `keypad`: DTMF keys → what they mean (a person, a repeat, a number);
- `playback`: the bot's replies, one after another, cut short by a barge-in;
- `record`: the call as the backend and the metrics see it, and its recordings;
- `tasks`: the call's background tasks, kept and cancelled together.
"""
