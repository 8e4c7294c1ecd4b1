"""Extractors: a document's text into candidate utterances with their line numbers."""

from devspeech.corpus.extract.candidate import Candidate

__all__ = ["Candidate"]
