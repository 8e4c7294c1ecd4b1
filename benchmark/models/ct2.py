"""Read a CTranslate2 `model.bin` without CTranslate2: named arrays, aliases, the spec name.

Layout (binary version 6, little-endian, as ctranslate2/specs/model_spec.py writes it):
a u32 version; the spec name as a string; a u32 spec revision; a u32 variable count;
per variable its name, a u8 rank, rank u32 dimensions, a u8 dtype id, a u32 byte count
and the raw bytes; then a u32 alias count and (alias, target) string pairs. A string is
a u16 length that counts a trailing NUL, the UTF-8 bytes, and that NUL.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from devspeech.errors import InputError

SUPPORTED_VERSIONS = (5, 6)
# Order of the DataType enum in CTranslate2's include/ctranslate2/types.h.
DTYPES: tuple[str, ...] = ("float32", "int8", "int16", "int32", "float16", "bfloat16")


@dataclass(frozen=True)
class Ct2Model:
    spec: str
    revision: int
    variables: dict[str, np.ndarray]
    aliases: dict[str, str]

    def get(self, name: str) -> np.ndarray:
        """A variable by name, following an alias (the tied output projection is one)."""
        return self.variables[self.aliases.get(name, name)]

    def __contains__(self, name: str) -> bool:
        return self.aliases.get(name, name) in self.variables


def _read(handle: BinaryIO, fmt: str) -> int:
    size = struct.calcsize(fmt)
    data = handle.read(size)
    if len(data) != size:
        raise EOFError("truncated CTranslate2 model")
    return struct.unpack("<" + fmt, data)[0]


def _string(handle: BinaryIO) -> str:
    length = _read(handle, "H")
    data = handle.read(length)
    if len(data) != length or not data.endswith(b"\0"):
        raise EOFError("truncated or malformed string in CTranslate2 model")
    return data[:-1].decode("utf-8")


def _array(data: bytes, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    if dtype == "bfloat16":  # numpy has no bfloat16: widen the 16 bits to float32
        halves = np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16
        return halves.view(np.float32).reshape(shape)
    return np.frombuffer(data, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)


def read_ct2(handle: BinaryIO, source: str = "model.bin") -> Ct2Model:
    """Parse an open model.bin; raises InputError naming `source` when it is not one."""
    try:
        version = _read(handle, "I")
        if version not in SUPPORTED_VERSIONS:
            raise InputError(
                f"{source}: CTranslate2 binary version {version} is not supported "
                f"(supported: {', '.join(map(str, SUPPORTED_VERSIONS))})"
            )
        spec = _string(handle)
        revision = _read(handle, "I")
        variables: dict[str, np.ndarray] = {}
        for _ in range(_read(handle, "I")):
            name = _string(handle)
            shape = tuple(_read(handle, "I") for _ in range(_read(handle, "B")))
            type_id = _read(handle, "B")
            if type_id >= len(DTYPES):
                raise InputError(f"{source}: variable {name} has unknown dtype id {type_id}")
            size = _read(handle, "I")
            data = handle.read(size)
            if len(data) != size:
                raise EOFError(f"variable {name} is truncated")
            variables[name] = _array(data, DTYPES[type_id], shape)
        aliases = {}
        for _ in range(_read(handle, "I")):
            alias = _string(handle)
            aliases[alias] = _string(handle)
    except (EOFError, UnicodeDecodeError, ValueError) as error:
        raise InputError(f"{source} is not a readable CTranslate2 model: {error}") from None
    return Ct2Model(spec, revision, variables, aliases)
