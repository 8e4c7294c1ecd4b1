"""Where text is mined from: directories and repositories, installed packages, the standard
library, and the --help output and man page examples of command-line tools."""

from devspeech.corpus.sources.base import Document, SourceScan
from devspeech.corpus.sources.directory import scan_directory
from devspeech.corpus.sources.helptext import scan_help, scan_man
from devspeech.corpus.sources.package import scan_package
from devspeech.corpus.sources.stdlib import scan_stdlib

__all__ = [
    "Document",
    "SourceScan",
    "scan_directory",
    "scan_help",
    "scan_man",
    "scan_package",
    "scan_stdlib",
]
