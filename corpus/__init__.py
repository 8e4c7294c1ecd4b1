"""Corpus stage: real code, commands and developer prose into spoken utterances."""
