"""What an extractor yields: a span of one line that may become an utterance."""

from __future__ import annotations

from dataclasses import dataclass

from devspeech.records import Kind


@dataclass(frozen=True, slots=True)
class Candidate:
    """`text` lies verbatim on line `line` (1-based) of the document it was extracted from."""

    text: str
    kind: Kind
    language: str
    line: int

    def shifted(self, offset: int) -> Candidate:
        """The same candidate in a document where its block starts `offset` lines later."""
        return Candidate(self.text, self.kind, self.language, self.line + offset)
