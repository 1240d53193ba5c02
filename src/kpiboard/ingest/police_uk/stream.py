"""Bytes to UTF-8 for pyarrow: :class:`Utf8Stream` passes one input on as UTF-8 whatever encoding
it came in, hashing it and counting its line breaks as they pass.

UTF-8 is read with or without a byte-order mark, and UTF-16 with one. A file that is not UTF-8
is read as Windows-1252, with a warning naming the line of the first byte that is not UTF-8; a
file that mixes UTF-8 and other bytes is an error (it cannot be decoded right), and reading it
stops there.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
from typing import IO, Any

import numpy as np

from kpiboard.errors import Finding

_CHUNK = 1 << 20  # raw bytes read at a time
_MAX_HEADER = 1 << 16
_LINE_BREAK = re.compile(rb"[\r\n]")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
# Windows-1252, with the five bytes it leaves undefined read as Latin-1 (as the tidy reader does
# for a whole file): every byte decodes, so a long file never has to be decoded twice.
_CP1252 = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256))


class Utf8Stream(io.RawIOBase):
    """One input's bytes as UTF-8 for pyarrow, whatever encoding they came in, hashing and
    counting line breaks as they pass (``\\n``, ``\\r\\n`` or a lone ``\\r``, as pyarrow
    splits lines)."""

    def __init__(self, raw: IO[bytes], display: str, chunk: int = _CHUNK) -> None:
        super().__init__()
        self._raw = raw
        self._display = display
        self._chunk = chunk
        self.sha256 = hashlib.sha256()
        self.size = 0  # raw bytes read
        self.breaks = 0  # line breaks passed on
        self.last = b""  # the last byte passed on
        self.warning: Finding | None = None  # not UTF-8: read as Windows-1252
        self.problem: Finding | None = None  # cannot be decoded: reading stopped
        self._ascii = True  # everything passed on so far was ASCII
        self._first_non_ascii = 0  # ... or the line of its first non-ASCII byte
        self._mode = ""  # "utf-8", "cp1252" or "utf-16", decided by the first bytes
        self._carry = b""  # UTF-8: a character cut at the end of the last chunk
        self._utf16: codecs.IncrementalDecoder | None = None
        self._out = b""
        self._pos = 0
        self._eof = False

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()

    @property
    def ended_with_break(self) -> bool:
        return self.last in (b"\n", b"\r")

    @property
    def lines(self) -> int:
        """Physical lines passed on so far (a last line without a line break counts)."""
        return self.breaks + (1 if self.last and not self.ended_with_break else 0)

    def _line_at(self, data: bytes, pos: int) -> int:
        return self.breaks + _count_breaks(data[:pos], self.last) + 1

    def _fill(self, want: int = 0) -> bool:
        """Decode one more chunk (at least ``want`` bytes) into the output; False once nothing
        more comes."""
        if self._eof:
            return False
        data = self._raw.read(max(self._chunk, want))
        if data:
            self.sha256.update(data)
            self.size += len(data)
        else:
            self._eof = True
        if not self._mode:
            if data.startswith(codecs.BOM_UTF8):
                data, self._mode = data[len(codecs.BOM_UTF8) :], "utf-8"
            elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                self._mode, self._utf16 = "utf-16", codecs.getincrementaldecoder("utf-16")()
            else:
                self._mode = "utf-8"
        text = self._decode(data, final=not data)
        if text:
            self.breaks += _count_breaks(text, self.last)
            self.last = text[-1:]
            self._out = self._out[self._pos :] + text if self._pos < len(self._out) else text
            self._pos = 0
        return bool(data) or bool(text)

    def _decode(self, data: bytes, final: bool) -> bytes:
        if self._mode == "utf-16":
            assert self._utf16 is not None
            return self._utf16.decode(data, final).encode("utf-8")
        if self._mode == "cp1252":
            return codecs.charmap_decode(data, "strict", _CP1252)[0].encode("utf-8")
        data, self._carry = self._carry + data, b""
        if data.isascii():
            return data
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data" and not final:
                data, self._carry = data[: exc.start], data[exc.start :]  # the rest comes next
            else:
                return self._not_utf8(data, exc.start)
        if self._ascii:
            match = _NON_ASCII.search(data)
            if match:
                self._ascii, self._first_non_ascii = False, self._line_at(data, match.start())
        return data

    def _not_utf8(self, data: bytes, bad: int) -> bytes:
        line = self._line_at(data, bad)
        if self._ascii and data[:bad].isascii():
            # everything before was ASCII, which reads the same in both: go on as Windows-1252
            self._mode = "cp1252"
            self.warning = Finding(
                "warning",
                f"not UTF-8 (byte 0x{data[bad]:02X} is the first that is not); "
                "read as Windows-1252 (cp1252)",
                self._display,
                line,
                None,
                "check the text reads right (e.g. place names with accents), and save the file "
                "as CSV UTF-8",
            )
            return self._decode(data, final=False)
        first = (
            self._first_non_ascii
            if not self._ascii
            else self._line_at(data, _first_non_ascii(data))
        )
        self.problem = Finding(
            "error",
            f"the file mixes UTF-8 text (from line {first}) with bytes that are not UTF-8 "
            f"(0x{data[bad]:02X} on line {line}); it cannot be decoded reliably",
            self._display,
            line,
            None,
            "save the whole file in one encoding, preferably CSV UTF-8",
        )
        self._eof = True
        return b""

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:  # the rest, gathered in parts (not copied at each chunk)
            parts = [self._out[self._pos :]]
            self._out, self._pos = b"", 0
            while self._fill():
                parts.append(self._out)
                self._out = b""
            return b"".join(parts)
        while len(self._out) - self._pos < size and self._fill(size - (len(self._out) - self._pos)):
            pass
        out = self._out[self._pos : self._pos + size]
        self._pos += len(out)
        return out

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def more(self) -> bool:
        """Whether anything is left to read."""
        while self._pos >= len(self._out):
            if not self._fill():
                return False
        return True

    def read_header(self) -> str | None:
        """The first line, consumed with its line break; None for an empty input."""
        while True:
            match = _LINE_BREAK.search(self._out, self._pos)
            # a "\r" at the end of the decoded text may be the first half of "\r\n"
            if match and (
                match.end() < len(self._out) or self._out[match.start()] == 10 or self._eof
            ):
                break
            if len(self._out) - self._pos > _MAX_HEADER or not self._fill():
                break  # (not a CSV file: its first "line" is cut here, and fails the header check)
        if self._pos >= len(self._out):
            return None
        if match is None:
            end = after = min(len(self._out), self._pos + _MAX_HEADER)
        else:
            end = after = match.start()
            after += 2 if self._out[end : end + 2] == b"\r\n" else 1
        header = self._out[self._pos : end].decode("utf-8", errors="replace")
        self._pos = after
        return header


def _count_breaks(text: bytes, before: bytes) -> int:
    """Line breaks in ``text`` (``\\n``, ``\\r\\n`` or a lone ``\\r``), given the byte before it.
    numpy, because it is several times quicker than ``bytes.count`` and lets other threads run."""
    a = np.frombuffer(text, np.uint8)
    n = int(np.count_nonzero(a == 10))
    if 13 in text:  # (a quick search: most files have "\n" line breaks only)
        cr = int(np.count_nonzero(a == 13))
        n += cr - int(np.count_nonzero((a[:-1] == 13) & (a[1:] == 10)))
    if before == b"\r" and text[:1] == b"\n":
        n -= 1  # the "\r" ending the text before already counted this "\r\n"
    return n


def _first_non_ascii(data: bytes) -> int:
    match = _NON_ASCII.search(data)
    return match.start() if match else 0
