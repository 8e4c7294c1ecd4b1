"""Generator stage: TTS voices, rooms and noise into a Hugging Face dataset (issue: generator)."""
