"""Tables of how developers name symbols, abbreviations, file extensions and terms.

Each entry lists ways to say one written thing, most usual first, with weights;
the first form is the canonical one.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

# Operators and punctuation in code. Longest first matters only to the tokenizer.
OPERATORS: dict[str, tuple[tuple[str, float], ...]] = {
    "**=": (("double star equals", 1.0), ("power equals", 0.5)),
    "//=": (("double slash equals", 1.0), ("floor divide equals", 0.5)),
    ">>=": (("right shift equals", 1.0),),
    "<<=": (("left shift equals", 1.0),),
    "===": (("triple equals", 1.0), ("strictly equals", 0.3)),
    "!==": (("not double equals", 1.0), ("bang double equals", 0.5)),
    "...": (("ellipsis", 1.0), ("dot dot dot", 0.7)),
    "->": (("arrow", 1.0), ("returns", 0.4)),
    "=>": (("fat arrow", 1.0), ("arrow", 0.6)),
    "==": (("double equals", 1.0), ("equals equals", 0.6), ("is equal to", 0.4)),
    "!=": (("not equals", 1.0), ("bang equals", 0.4), ("is not equal to", 0.3)),
    "<=": (("less than or equal to", 1.0), ("less equals", 0.3)),
    ">=": (("greater than or equal to", 1.0), ("greater equals", 0.3)),
    "+=": (("plus equals", 1.0),),
    "-=": (("minus equals", 1.0),),
    "*=": (("times equals", 1.0), ("star equals", 0.5)),
    "/=": (("divide equals", 1.0), ("slash equals", 0.5)),
    "%=": (("mod equals", 1.0), ("percent equals", 0.5)),
    "&=": (("and equals", 1.0), ("ampersand equals", 0.5)),
    "|=": (("or equals", 1.0), ("pipe equals", 0.5)),
    "^=": (("xor equals", 1.0), ("caret equals", 0.5)),
    "@=": (("at equals", 1.0),),
    ":=": (("walrus", 1.0), ("colon equals", 0.8)),
    "**": (("double star", 1.0), ("power", 0.4), ("star star", 0.3)),
    "//": (("double slash", 1.0), ("floor divide", 0.4)),
    "<<": (("left shift", 1.0), ("double less than", 0.3)),
    ">>": (("right shift", 1.0), ("double greater than", 0.3)),
    "&&": (("and and", 1.0), ("double ampersand", 0.6)),
    "||": (("or or", 1.0), ("double pipe", 0.6)),
    "??": (("double question mark", 1.0), ("nullish", 0.3)),
    "?.": (("question dot", 1.0), ("optional dot", 0.4)),
    "++": (("plus plus", 1.0),),
    "--": (("minus minus", 1.0),),
    "::": (("double colon", 1.0),),
    "=": (("equals", 1.0), ("equal", 0.3), ("gets", 0.15)),
    "+": (("plus", 1.0),),
    "-": (("minus", 1.0),),
    "*": (("star", 1.0), ("times", 0.6)),
    "/": (("slash", 1.0), ("divided by", 0.4)),
    "%": (("percent", 1.0), ("mod", 0.5)),
    "<": (("less than", 1.0),),
    ">": (("greater than", 1.0),),
    "&": (("ampersand", 1.0), ("and", 0.3)),
    "|": (("pipe", 1.0), ("bar", 0.4)),
    "^": (("caret", 1.0), ("xor", 0.5)),
    "~": (("tilde", 1.0),),
    "!": (("bang", 1.0), ("not", 0.5), ("exclamation mark", 0.3)),
    "?": (("question mark", 1.0),),
    "@": (("at", 1.0),),
    ".": (("dot", 1.0),),
    ",": (("comma", 1.0),),
    ":": (("colon", 1.0),),
    ";": (("semicolon", 1.0),),
    "#": (("hash", 1.0), ("pound", 0.4)),
    "$": (("dollar", 1.0),),
    "\\": (("backslash", 1.0),),
    "_": (("underscore", 1.0),),
    "`": (("backtick", 1.0),),
}

# Brackets by naming scheme (Style.brackets): (open, close) words.
BRACKETS: dict[str, dict[str, str]] = {
    "open-close": {
        "(": "open paren",
        ")": "close paren",
        "[": "open bracket",
        "]": "close bracket",
        "{": "open brace",
        "}": "close brace",
    },
    "left-right": {
        "(": "left paren",
        ")": "right paren",
        "[": "left bracket",
        "]": "right bracket",
        "{": "left curly",
        "}": "right curly",
    },
    "short": {
        "(": "paren",
        ")": "end paren",
        "[": "bracket",
        "]": "end bracket",
        "{": "brace",
        "}": "end brace",
    },
}
OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = frozenset(OPENERS.values())
_BRACKET_PHRASE_RE = re.compile(r"\b(?:(open|left|close|right|end) )?(paren|bracket|brace|curly)\b")


def unbalanced_brackets(spoken: str) -> bool:
    """Whether a spoken line says a bracket it never closes, or closes one it never opened."""
    stack: list[str] = []
    for side, name in _BRACKET_PHRASE_RE.findall(spoken):
        shape = "brace" if name == "curly" else name
        if side in ("close", "right", "end"):
            if not stack or stack.pop() != shape:
                return True
        else:
            stack.append(shape)
    return bool(stack)


# Shell operators have their own usual names.
SHELL_OPERATORS: dict[str, tuple[tuple[str, float], ...]] = {
    "2>&1": (("two greater than ampersand one", 1.0), ("stderr to stdout", 0.2)),
    "&>": (("ampersand greater than", 1.0),),
    "2>": (("two greater than", 1.0), ("two into", 0.3)),
    ">>": (("double greater than", 1.0), ("append to", 0.5)),
    "&&": (("and and", 1.0), ("double ampersand", 0.6), ("and then", 0.2)),
    "||": (("or or", 1.0), ("double pipe", 0.6)),
    "|": (("pipe", 1.0), ("pipe to", 0.3)),
    ">": (("greater than", 1.0), ("into", 0.5), ("redirect to", 0.3)),
    "<": (("less than", 1.0), ("from", 0.3)),
    ";": (("semicolon", 1.0),),
    "&": (("ampersand", 1.0), ("in the background", 0.2)),
    "(": (("open paren", 1.0),),
    ")": (("close paren", 1.0),),
}

# Abbreviations: written (lower case) -> (as letters or short form, expanded form).
ABBREVIATIONS: dict[str, tuple[str, str]] = {
    "np": ("n p", "numpy"),
    "pd": ("p d", "pandas"),
    "plt": ("p l t", "plot"),
    "df": ("d f", "data frame"),
    "tf": ("t f", "tensorflow"),
    "nn": ("n n", "neural net"),
    "sns": ("s n s", "seaborn"),
    "mpl": ("m p l", "matplotlib"),
    "src": ("s r c", "source"),
    "dst": ("d s t", "destination"),
    "dest": ("dest", "destination"),
    "tmp": ("temp", "temporary"),
    "temp": ("temp", "temporary"),
    "pkg": ("p k g", "package"),
    "msg": ("m s g", "message"),
    "ctx": ("c t x", "context"),
    "cfg": ("c f g", "config"),
    "conf": ("conf", "config"),
    "req": ("req", "request"),
    "res": ("res", "result"),
    "resp": ("resp", "response"),
    "idx": ("i d x", "index"),
    "num": ("num", "number"),
    "val": ("val", "value"),
    "var": ("var", "variable"),
    "obj": ("obj", "object"),
    "fn": ("f n", "function"),
    "func": ("func", "function"),
    "cls": ("c l s", "class"),
    "err": ("err", "error"),
    "exc": ("exc", "exception"),
    "buf": ("buf", "buffer"),
    "lst": ("l s t", "list"),
    "arr": ("arr", "array"),
    "dir": ("dir", "directory"),
    "fd": ("f d", "file descriptor"),
    "fp": ("f p", "file pointer"),
    "fh": ("f h", "file handle"),
    "db": ("d b", "database"),
    "attr": ("attr", "attribute"),
    "attrs": ("attrs", "attributes"),
    "param": ("param", "parameter"),
    "params": ("params", "parameters"),
    "arg": ("arg", "argument"),
    "opt": ("opt", "option"),
    "opts": ("opts", "options"),
    "prev": ("prev", "previous"),
    "cur": ("cur", "current"),
    "curr": ("curr", "current"),
    "addr": ("addr", "address"),
    "auth": ("auth", "authentication"),
    "repo": ("repo", "repository"),
    "impl": ("impl", "implementation"),
    "util": ("util", "utility"),
    "utils": ("utils", "utilities"),
    "spec": ("spec", "specification"),
    "env": ("env", "environment"),
    "doc": ("doc", "document"),
    "docs": ("docs", "documentation"),
    "max": ("max", "maximum"),
    "min": ("min", "minimum"),
    "avg": ("a v g", "average"),
    "std": ("s t d", "standard"),
    "sep": ("sep", "separator"),
    "ext": ("ext", "extension"),
    "fmt": ("f m t", "format"),
    "sz": ("s z", "size"),
    "ptr": ("p t r", "pointer"),
    "ref": ("ref", "reference"),
    "refs": ("refs", "references"),
    "len": ("len", "length"),
    "str": ("stir", "string"),
    "int": ("int", "integer"),
    "dict": ("dict", "dictionary"),
    "bool": ("bool", "boolean"),
    "char": ("char", "character"),
    "usr": ("u s r", "user"),
    "lib": ("lib", "library"),
    "bin": ("bin", "binary"),
    "etc": ("e t c", "etcetera"),
    "proc": ("proc", "process"),
    "dev": ("dev", "development"),
    "prod": ("prod", "production"),
    "stat": ("stat", "status"),
    "cmd": ("c m d", "command"),
    "mgr": ("m g r", "manager"),
    "ver": ("ver", "version"),
    "rev": ("rev", "revision"),
    "gen": ("gen", "generator"),
    "app": ("app", "application"),
    "lr": ("l r", "learning rate"),
    "xs": ("x s", "x s"),
    "ys": ("y s", "y s"),
    "kw": ("k w", "keyword"),
}

# How a file extension is said after "dot": (letters form, word form).
EXTENSIONS: dict[str, tuple[str, str]] = {
    "py": ("py", "pie"),
    "pyi": ("p y i", "pie i"),
    "js": ("j s", "j s"),
    "ts": ("t s", "t s"),
    "tsx": ("t s x", "t s x"),
    "jsx": ("j s x", "j s x"),
    "json": ("json", "jason"),
    "md": ("m d", "markdown"),
    "txt": ("t x t", "text"),
    "yml": ("y m l", "yammel"),
    "yaml": ("yaml", "yammel"),
    "toml": ("toml", "tom l"),
    "cfg": ("c f g", "config"),
    "ini": ("ini", "i n i"),
    "sh": ("s h", "shell"),
    "rs": ("r s", "r s"),
    "go": ("go", "go"),
    "c": ("c", "c"),
    "h": ("h", "h"),
    "cpp": ("c p p", "c p p"),
    "html": ("html", "h t m l"),
    "css": ("c s s", "c s s"),
    "csv": ("c s v", "c s v"),
    "env": ("env", "env"),
    "lock": ("lock", "lock"),
    "log": ("log", "log"),
    "gz": ("g z", "g zip"),
    "tar": ("tar", "tar"),
    "zip": ("zip", "zip"),
    "whl": ("w h l", "wheel"),
    "so": ("s o", "s o"),
    "exe": ("exe", "e x e"),
    "rst": ("r s t", "r s t"),
    "ipynb": ("i p y n b", "notebook"),
    "pt": ("p t", "p t"),
    "bin": ("bin", "bin"),
    "wav": ("wav", "wave"),
    "mp3": ("m p three", "m p three"),
    "flac": ("flac", "flack"),
    "xml": ("x m l", "x m l"),
    "sql": ("s q l", "sequel"),
    "lua": ("lua", "lua"),
    "rb": ("r b", "ruby"),
    "java": ("java", "java"),
    "kt": ("k t", "k t"),
}

# Acronyms said as a word rather than letter by letter.
WORD_ACRONYMS: dict[str, str] = {
    "json": "jason",
    "ascii": "ask ee",
    "gif": "gif",
    "jpeg": "jay peg",
    "png": "ping",
    "sql": "sequel",
    "scsi": "scuzzy",
    "nasa": "nasa",
    "yaml": "yammel",
    "toml": "toml",
    "lan": "lan",
    "ram": "ram",
    "rom": "rom",
    "wifi": "wifi",
    "gui": "gooey",
    "posix": "pozix",
    "ajax": "ajax",
    "cors": "cors",
    "crud": "crud",
    "jit": "jit",
    "oauth": "o auth",
}

# Single letters are said by name when spelled out.
LETTERS = "abcdefghijklmnopqrstuvwxyz"

# Prose abbreviations with periods.
PROSE_ABBREVIATIONS: dict[str, str] = {
    "e.g.": "for example",
    "i.e.": "that is",
    "etc.": "et cetera",
    "vs.": "versus",
    "vs": "versus",
    "approx.": "approximately",
    "cf.": "compare",
    "w/": "with",
    "w/o": "without",
}

# Words of at most two letters that are said as words, not spelled.
SHORT_WORDS = frozenset(
    [
        "a",
        "i",
        "am",
        "an",
        "as",
        "at",
        "be",
        "by",
        "do",
        "go",
        "he",
        "hi",
        "if",
        "in",
        "is",
        "it",
        "me",
        "my",
        "no",
        "of",
        "oh",
        "ok",
        "on",
        "or",
        "so",
        "to",
        "up",
        "us",
        "we",
    ]
)


@cache
def technical_terms() -> dict[str, tuple[str, ...]]:
    """The shipped lexicon of technical terms: term -> ways it is said (first is canonical)."""
    text = resources.files("devspeech.corpus").joinpath("data/technical_terms.txt").read_text()
    terms: dict[str, tuple[str, ...]] = {}
    for raw in text.splitlines():
        line = raw.strip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        term, _, said = line.partition("\t")
        terms[term.strip()] = tuple(s.strip() for s in said.split("|")) if said else (term.strip(),)
    return terms
