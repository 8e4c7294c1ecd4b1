"""Benchmark stage: Whisper models scored on developer speech (issue: benchmark)."""
