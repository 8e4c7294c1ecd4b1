"""Speech engines behind one interface: each module wraps one TTS library."""
