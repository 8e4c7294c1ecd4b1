"""Python source: statements and block headers by AST, docstrings and comments as prose."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from devspeech.corpus.extract.candidate import Candidate
from devspeech.corpus.extract.sentences import single_line_sentences
from devspeech.corpus.extract.text import extract_text_block

_SIMPLE = (
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Return,
    ast.Expr,
    ast.Import,
    ast.ImportFrom,
    ast.Raise,
    ast.Assert,
    ast.Delete,
    ast.Global,
    ast.Nonlocal,
)
_COMPOUND = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.ExceptHandler,
    ast.Match,
)
_HEADER_CONTEXTS = ("{}\n pass", "if 1:\n pass\n{}\n pass", "try:\n pass\n{}\n pass")


def _segment(line: str, start: int, end: int) -> str:
    """Slice a line by the UTF-8 byte offsets that ast reports."""
    if line.isascii():
        return line[start:end]
    return line.encode()[start:end].decode()


def _header_parses(header: str) -> bool:
    for context in _HEADER_CONTEXTS:
        try:
            ast.parse(context.format(header))
        except SyntaxError:
            continue
        return True
    return False


def _strip_comment(text: str) -> str:
    """Drop a trailing comment unless the '#' may sit in a string."""
    if "#" in text and "'" not in text and '"' not in text:
        text = text[: text.index("#")]
    return text.rstrip()


def _string_lines(tree: ast.AST) -> tuple[set[int], list[ast.Constant]]:
    """Lines inside multi-line string literals, and the docstring nodes."""
    inside: set[int] = set()
    docstrings: list[ast.Constant] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstrings.append(first.value)
        if isinstance(node, ast.Constant | ast.JoinedStr) and node.end_lineno != node.lineno:
            inside.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return inside, docstrings


def extract_python(source: str) -> Iterator[Candidate]:
    """Candidates of a Python module: raises SyntaxError when it does not parse."""
    tree = ast.parse(source)
    lines = source.split("\n")
    yield from _statements(tree, lines)
    in_strings, docstrings = _string_lines(tree)
    for doc in docstrings:
        yield from _docstring(doc, lines)
    yield from _comments(lines, in_strings)


def _statements(tree: ast.AST, lines: list[str]) -> Iterator[Candidate]:
    for node in ast.walk(tree):
        if isinstance(node, _SIMPLE):
            if node.lineno != node.end_lineno or node.end_col_offset is None:
                continue
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # docstrings and bare literals
            text = _segment(lines[node.lineno - 1], node.col_offset, node.end_col_offset)
            yield Candidate(text, "code", "python", node.lineno)
        elif isinstance(node, _COMPOUND):
            body = node.cases[0].pattern if isinstance(node, ast.Match) else node.body[0]
            if body.lineno == node.lineno:
                continue
            line = lines[node.lineno - 1]
            header = _strip_comment(_segment(line, node.col_offset, len(line.encode())))
            if header.endswith(":") and _header_parses(header):
                yield Candidate(header, "code", "python", node.lineno)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for decorator in node.decorator_list:
                if decorator.lineno != decorator.end_lineno or decorator.end_col_offset is None:
                    continue
                line = lines[decorator.lineno - 1]
                end = _segment(line, 0, decorator.end_col_offset)
                at = end.rfind("@")
                if at >= 0 and not end[:at].strip():
                    yield Candidate(end[at:], "code", "python", decorator.lineno)


def _docstring(node: ast.Constant, lines: list[str]) -> Iterator[Candidate]:
    first, last = node.lineno, node.end_lineno or node.lineno
    block = lines[first - 1 : last]
    for quote in ('"""', "'''", '"', "'"):
        start = block[0].find(quote)
        if start >= 0:
            break
    else:
        return
    head = block[0][start + len(quote) :]
    block = [head, *block[1:]]
    if block[-1].rstrip().endswith(quote):
        stripped = block[-1].rstrip()
        block[-1] = stripped[: len(stripped) - len(quote)]
    for candidate in extract_text_block(block):
        # Lines were cut at the quotes only, so every text is still a substring of its file line.
        yield candidate.shifted(first - 1)


def _comments(lines: list[str], in_strings: set[int]) -> Iterator[Candidate]:
    paragraph: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.lstrip()
        if stripped.startswith("#") and number not in in_strings and not stripped.startswith("#!"):
            content = stripped.lstrip("#").strip()
            if content and not content.startswith(("-*-", "type:", "noqa", "pragma", "fmt:")):
                paragraph.append((number, content))
                continue
        for line_number, sentence in single_line_sentences(paragraph):
            yield Candidate(sentence, "prose", "", line_number)
        paragraph = []
    for line_number, sentence in single_line_sentences(paragraph):
        yield Candidate(sentence, "prose", "", line_number)
