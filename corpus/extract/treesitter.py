"""JavaScript, TypeScript and shell files parsed by tree-sitter grammars, when installed."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from devspeech.corpus.extract.candidate import Candidate
from devspeech.corpus.extract.sentences import single_line_sentences

GRAMMARS: dict[str, tuple[str, str]] = {
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "bash": ("tree_sitter_bash", "language"),
}
_JS_STATEMENTS = frozenset(
    [
        "expression_statement",
        "lexical_declaration",
        "variable_declaration",
        "return_statement",
        "import_statement",
        "export_statement",
        "throw_statement",
        "type_alias_declaration",
    ]
)
_JS_HEADERS = frozenset(
    [
        "if_statement",
        "for_statement",
        "for_in_statement",
        "while_statement",
        "function_declaration",
        "class_declaration",
        "method_definition",
        "try_statement",
        "switch_statement",
        "interface_declaration",
    ]
)
_BASH_STATEMENTS = frozenset(
    [
        "command",
        "pipeline",
        "list",
        "redirected_statement",
        "variable_assignment",
        "declaration_command",
        "for_statement",
        "while_statement",
        "if_statement",
        "c_style_for_statement",
    ]
)
_COMMENT_MARKS_RE = re.compile(r"^\s*(?://+|/\*+|\*+/?|#+)\s?")


class NoParser(RuntimeError):
    """The grammar for a language is not installed."""


@cache
def parser(language: str) -> Any:
    """A tree-sitter parser for `language`; NoParser when its grammar package is missing."""
    module_name, attribute = GRAMMARS[language]
    try:
        import tree_sitter

        grammar = getattr(importlib.import_module(module_name), attribute)()
    except ImportError as error:
        raise NoParser(f"no parser for {language}: pip install {module_name}") from error
    return tree_sitter.Parser(tree_sitter.Language(grammar))


def _comment(node: Any, lines: list[str]) -> Iterator[Candidate]:
    first, last = node.start_point.row, node.end_point.row
    paragraph = []
    for row in range(first, last + 1):
        line = lines[row]
        if row == first:
            line = line[node.start_point.column :] if line.isascii() else line
        if row == last and line.rstrip().endswith("*/"):
            line = line.rstrip()[:-2]
        content = line[_COMMENT_MARKS_RE.match(line).end() :].rstrip()  # type: ignore[union-attr]
        if content.startswith("!") or content.startswith("@"):
            continue  # shebangs, JSDoc tags
        if content:
            paragraph.append((row + 1, content))
    for number, sentence in single_line_sentences(paragraph):
        yield Candidate(sentence, "prose", "", number)


def extract_tree(text: str, language: str) -> Iterator[Candidate]:
    """Single-line statements, one-line block headers and comment sentences of a file."""
    source = text.encode()
    tree = parser(language).parse(source)
    lines = text.split("\n")
    raw_lines = source.split(b"\n")
    shell = language == "bash"
    statements = _BASH_STATEMENTS if shell else _JS_STATEMENTS
    kind = "shell" if shell else "code"
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        start, end = node.start_point, node.end_point
        if node.type == "comment":
            if not (start.row == 0 and lines[0].startswith("#!")):
                yield from _comment(node, lines)
            continue
        if node.has_error and node.type != "program":
            continue
        if node.type in statements and start.row == end.row:
            raw = raw_lines[start.row][start.column : end.column]
            yield Candidate(raw.decode(), kind, language, start.row + 1)
            continue
        if not shell and node.type in _JS_HEADERS and start.row != end.row:
            header = raw_lines[start.row][start.column :].decode().rstrip()
            if header.endswith("{") and "//" not in header:
                yield Candidate(header, "code", language, start.row + 1)
        stack.extend(reversed(node.named_children))
