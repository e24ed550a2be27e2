"""The files an import reads, checked before any reader touches them.

An import file must be a regular file (a FIFO would block the reader forever, a
device such as ``/dev/zero`` never ends), of a sane size, and a CSV must be UTF-8
text without NUL bytes whose first line (the header) ends within a megabyte. Each
refusal names the file and says what to do. A CSV that DuckDB cannot parse is
described here too, in Tally's words: file, line and what is wrong with its quotes,
fields or line endings.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import stat
from pathlib import Path

from storage.errors import ImportError_

MAX_FILE_BYTES = 16 * 1024**3  # an export bigger than this is split, or is not an export
MAX_HEADER_BYTES = 1024**2
_CHUNK = 1024**2


def check_regular_file(path: Path) -> int:
    """The size of ``path`` if it is a regular file (symlinks followed) of a sane size.

    Raises:
        ImportError_: for a FIFO, device, socket or directory, an unreadable path or a
            file over :data:`MAX_FILE_BYTES`.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise ImportError_(f"{path.name}: cannot be read ({exc.strerror or exc}); "
                           "check that the file exists and can be read") from None
    if not stat.S_ISREG(info.st_mode):
        raise ImportError_(f"{path.name} is {_kind(info.st_mode)}, not a regular file; "
                           "export the table to a file and import that")
    if info.st_size > MAX_FILE_BYTES:
        raise ImportError_(f"{path.name} is {info.st_size / 1024**3:,.1f} GB, over the "
                           f"{MAX_FILE_BYTES / 1024**3:g} GB an import file may hold; split it "
                           "into several imports")
    return info.st_size


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def check_text(path: Path) -> None:
    """Reads the whole file once: UTF-8 text, no NUL byte, a header line under 1 MB.

    Raises:
        ImportError_: naming the line of the first NUL byte or invalid UTF-8.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    with path.open("rb") as fh:
        first = True
        while chunk := fh.read(_CHUNK):
            if first and b"\n" not in chunk[:MAX_HEADER_BYTES] and len(chunk) >= MAX_HEADER_BYTES:
                raise ImportError_(f"{path.name}: the first line (the header) is longer than "
                                   "1 MB; is this a CSV export?")
            first = False
            if (nul := chunk.find(b"\0")) >= 0:
                line = lines + chunk.count(b"\n", 0, nul)
                raise ImportError_(f"{path.name}, line {line}: "
                                   "holds NUL bytes, so it is binary data, not CSV text; export "
                                   "the table again as UTF-8 CSV")
            if not (chunk.isascii() and not decoder.getstate()[0]):
                _decode(decoder, chunk, path, lines)
            lines += chunk.count(b"\n")
        _decode(decoder, b"", path, lines, final=True)


def _decode(decoder: codecs.IncrementalDecoder, chunk: bytes, path: Path, lines: int,
            final: bool = False) -> None:
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError as exc:
        line = lines + chunk.count(b"\n", 0, max(exc.start, 0))
        raise ImportError_(f"{path.name}, line {line}: not UTF-8 text ({exc.reason}); "
                           "save it as UTF-8 CSV") from None


def read_header(path: Path) -> list[str]:
    """The header row's column names (a file that passed :func:`check_text`).

    Raises:
        ImportError_: for an empty file or a header that is not valid CSV.
    """
    with path.open(newline="", encoding="utf-8") as fh:
        try:
            header = next(csv.reader(io.StringIO(fh.readline(MAX_HEADER_BYTES))), None)
        except csv.Error as exc:
            raise ImportError_(f"{path.name}, line 1: {_csv_problem(str(exc))}") from None
    if not header:
        raise ImportError_(f"{path.name}: the file is empty; it needs a header row")
    return [h.lstrip("\ufeff") for h in header]


def describe_csv_error(path: Path, duckdb_message: str) -> str:
    """What is wrong with a CSV that DuckDB refused to read, in Tally's words."""
    label = path.name
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh, strict=True)
        width: int | None = None
        record_start = 1
        try:
            for fields in reader:
                if width is None:
                    width = len(fields)
                elif len(fields) != width and fields:
                    return (f"{label}, line {record_start}: {len(fields)} fields where the "
                            f"header has {width}; check the commas and quotes on that line")
                record_start = reader.line_num + 1
        except csv.Error as exc:
            return f"{label}, line {record_start}: {_csv_problem(str(exc))}"
    if (ending := _mixed_line_endings(path)) is not None:
        return (f"{label}, line {ending}: its line ending differs from the lines before "
                "(Windows \\r\\n and Unix \\n mixed); save the file with one kind")
    found = re.search(r"CSV Error on Line: (\d+)", duckdb_message)
    where = f", line {found.group(1)}" if found else ""
    return (f"{label}{where}: cannot be read as CSV (comma-separated, header row, fields "
            "with commas, quotes or line breaks in double quotes); check the commas and quotes")


def _csv_problem(message: str) -> str:
    """Python's csv messages as a person would say them."""
    if "expected after" in message:
        return ("text follows a closing quote; a quoted field must end at a comma or the "
                "end of the line (write a quote inside a quoted field as two: \"\")")
    if "unexpected end of data" in message or "EOF" in message:
        return ("a quote opened on this line is never closed; check the quotes from this "
                "line on")
    if "field larger than field limit" in message:
        return "a field is longer than 128 kB; check the quotes from this line on"
    return "not valid CSV; check the commas and quotes on this line"


def _mixed_line_endings(path: Path) -> int | None:
    """The first line whose ending differs from the first line's (\\r\\n vs \\n), if any."""
    with path.open("rb") as fh:
        first: bool | None = None
        for number, line in enumerate(fh, start=1):
            if not line.endswith(b"\n"):
                return None
            crlf = line.endswith(b"\r\n")
            if first is None:
                first = crlf
            elif crlf != first:
                return number
    return None
