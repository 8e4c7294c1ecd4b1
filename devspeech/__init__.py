"""devspeech: speech data and honest benchmarks for developer dictation."""

__version__ = "0.1.0"
