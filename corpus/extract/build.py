"""Shell commands where developers write them outside scripts: CI YAML, Dockerfiles, Makefiles.

Every command lies verbatim on its line: a command continued over several lines with a
backslash yields the pieces that stand alone on a line (`&& apt-get install -y curl \\`
gives `apt-get install -y curl`), never a join.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from devspeech.corpus.extract.candidate import Candidate

# `run:` (GitHub Actions), `script:` and its before/after forms (GitLab CI, Travis),
# `command:`/`commands:` (CircleCI, Cloud Build); the value inline, a block or a list
_YAML_KEY_RE = re.compile(
    r"^(?P<indent>\s*)(?:-\s+)?(?P<key>run|script|before_script|after_script|before_install|"
    r"install|command|commands)\s*:\s*(?P<value>.*?)\s*$"
)
_YAML_ITEM_RE = re.compile(r"^(?P<indent>\s*)-\s+(?P<value>\S.*?)\s*$")
_TEMPLATE_MARKS = ("${{", "{{", "{%", "$(", "${", "`")
_MAKE_VARIABLE_RE = re.compile(r"\$[({]|\$\w|\$\$")
_SEPARATOR_RE = re.compile(r"\s+(?:&&|\|\||;)\s+|;\s*$")


def _commands(line: str) -> Iterator[str]:
    """The stand-alone commands of one physical shell line, split at `&&`, `||` and `;`."""
    text = line.strip()
    text = text.removesuffix("\\").strip()
    text = re.sub(r"^(?:&&|\|\||;)\s*", "", text)
    for part in _SEPARATOR_RE.split(text):
        command = part.strip()
        if not command or command.startswith("#") or any(m in command for m in _TEMPLATE_MARKS):
            continue
        if command.count('"') % 2 or command.count("'") % 2:
            continue  # a quote opened on another line
        if command in ("then", "else", "fi", "do", "done", "esac", "{", "}") or command.endswith(
            (" then", " do", "(", "{", "|")
        ):
            continue
        yield command


def _quoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def extract_yaml(lines: Sequence[str]) -> Iterator[Candidate]:
    """Shell steps of CI YAML: inline values, block scalars (`run: |`) and lists of commands."""
    index = 0
    while index < len(lines):
        match = _YAML_KEY_RE.match(lines[index])
        index += 1
        if not match:
            continue
        indent, value = len(match.group("indent")), match.group("value")
        if value and value[0] not in "|>[":
            for command in _commands(_quoted(value)):
                yield Candidate(command, "shell", "bash", index)
            continue
        # a block scalar or a list: the deeper-indented lines that follow
        while index < len(lines):
            line = lines[index]
            if line.strip() and len(line) - len(line.lstrip()) <= indent and not (
                _YAML_ITEM_RE.match(line) and value == ""
                and len(line) - len(line.lstrip()) == indent
            ):  # fmt: skip
                break
            index += 1
            if not line.strip() or line.strip().startswith("#"):
                continue
            item = _YAML_ITEM_RE.match(line)
            text = (
                _quoted(item.group("value")) if item and not value.startswith(("|", ">")) else line
            )
            for command in _commands(text):
                yield Candidate(command, "shell", "bash", index)


def extract_dockerfile(lines: Sequence[str]) -> Iterator[Candidate]:
    """The commands of `RUN` instructions in shell form, line by line."""
    in_run = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not in_run:
            match = re.match(r"(?i)^RUN\s+(?!\[)(.*)$", stripped)
            if not match:
                continue
            stripped = re.sub(r"^--\S+\s+", "", match.group(1))  # RUN --mount=... flags
        in_run = stripped.endswith("\\")
        if stripped.startswith("#"):
            continue
        for command in _commands(stripped):
            yield Candidate(command, "shell", "bash", number)


def extract_makefile(lines: Sequence[str]) -> Iterator[Candidate]:
    """Recipe lines (tab-indented) without make variables; `@`, `-` and `+` prefixes dropped."""
    continued = False
    for number, line in enumerate(lines, start=1):
        was_continued, continued = continued, line.rstrip().endswith("\\")
        if not line.startswith("\t") or was_continued:
            continue
        text = line.strip().lstrip("@-+").strip()
        if not text or text.startswith("#") or _MAKE_VARIABLE_RE.search(text):
            continue
        for command in _commands(text):
            yield Candidate(command, "shell", "bash", number)


BUILD_EXTRACTORS = {
    "yaml": extract_yaml,
    "dockerfile": extract_dockerfile,
    "makefile": extract_makefile,
}
