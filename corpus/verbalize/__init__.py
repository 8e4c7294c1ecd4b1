"""Written code, commands and developer prose into the words a person says."""

from devspeech.corpus.verbalize.speak import Spoken, Unspeakable, speak, speak_variants
from devspeech.corpus.verbalize.style import Style

__all__ = ["Spoken", "Style", "Unspeakable", "speak", "speak_variants"]
