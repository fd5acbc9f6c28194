"""Join complete PDFs, written one after another, into one PDF on a stream.

reportlab keeps every page of a document in memory until ``save()`` and then builds
the whole file in memory as well, so a 10,000-page batch would grow by kilobytes per
page. The board writer therefore renders chunks of a few hundred pages as separate
small documents and this module appends each to the output as soon as it is done:
memory is bounded by one chunk, whatever the number of pages.

Only reportlab's own output is joined (classic cross-reference table, no object
streams, no strings in the dictionaries that are rewritten), which keeps the parser
small. Each chunk's objects are renumbered; its page tree becomes a child of one root
page tree; its catalog and info dictionary are dropped; the font subset tags
(``AAAAAA+``) are made unique per chunk, because a viewer may cache fonts by name and
every chunk's subset maps glyph codes differently.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO

HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
_XREF_AT = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF_ROW = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_REF = re.compile(rb"(\d+) 0 R\b")
_OBJ = re.compile(rb"(\d+) 0 obj\s*")
_TAG = re.compile(rb"/([A-Z]{6})\+([\w.-]+)")


class JoinError(ValueError):
    pass


def _trailer_ref(trailer: bytes, key: bytes) -> int:
    m = re.search(rb"/" + key + rb" (\d+) 0 R", trailer)
    if m is None:
        raise JoinError(f"no /{key.decode()} in trailer")
    return int(m.group(1))


def _objects(data: bytes) -> tuple[dict[int, bytes], int, int]:
    """{object number: bytes between 'N 0 obj' and 'endobj'}, root, info."""
    m = _XREF_AT.search(data)
    if m is None:
        raise JoinError("no startxref")
    xref_at = int(m.group(1))
    head, _, trailer = data[xref_at:].partition(b"trailer")
    rows = [(int(o), kind) for o, _g, kind in _XREF_ROW.findall(head)]
    offsets = {n: off for n, (off, kind) in enumerate(rows) if kind == b"n"}
    ends = sorted(offsets.values()) + [xref_at]
    nxt = {start: ends[i + 1] for i, start in enumerate(ends[:-1])}
    objs = {}
    for n, off in offsets.items():
        chunk = data[off : nxt[off]]
        om = _OBJ.match(chunk)
        if om is None or int(om.group(1)) != n:
            raise JoinError(f"object {n} not at its offset")
        end = chunk.rindex(b"endobj")
        objs[n] = chunk[om.end() : end]
    return objs, _trailer_ref(trailer, b"Root"), _trailer_ref(trailer, b"Info")


def _split(body: bytes) -> tuple[bytes, bytes]:
    """(dictionary part, 'stream...endstream' part or b'')."""
    at = body.find(b"stream")
    return (body, b"") if at < 0 else (body[:at], body[at:])


def _tags() -> Iterator[bytes]:
    """Six-letter subset tags, unique within the document: AAAAAB, AAAAAC, ..."""
    n = 1
    while True:
        tag, k = b"", n
        for _ in range(6):
            k, r = divmod(k, 26)
            tag = bytes([65 + r]) + tag
        yield tag
        n += 1


def _pdf_string(text: str) -> bytes:
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


class Joiner:
    """Append complete reportlab PDFs with :meth:`add`, then :meth:`close`."""

    CATALOG, ROOT = 1, 2  # written last, numbered first

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.pos = 0  # counted, not asked: the output may be a pipe
        # Offset of object n at index n, as machine integers: a dict of Python ints
        # would cost ~100 bytes per object and pin memory between chunks.
        self.offsets = array("q", [0, 0, 0])
        self.next_num = 3
        self.kids: list[int] = []
        self.pages = 0
        self.tags = _tags()
        self.digest = hashlib.sha256()
        self._write(HEADER)

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.pos += len(data)

    def _emit(self, num: int, body: bytes) -> None:
        # Objects are numbered in the order they are written, except the catalog and
        # the root page tree, numbered first and written last.
        if num == len(self.offsets):
            self.offsets.append(self.pos)
        else:
            self.offsets[num] = self.pos
        self._write(b"%d 0 obj\n" % num + body + b"endobj\n")

    def add(self, data: bytes) -> None:
        """Append every page of ``data`` (a whole PDF written by reportlab)."""
        objs, root, info = _objects(data)
        cat_head, _ = _split(objs[root])
        m = re.search(rb"/Pages (\d+) 0 R", cat_head)
        if m is None:
            raise JoinError("catalog without /Pages")
        pages_num = int(m.group(1))
        keep = sorted(n for n in objs if n not in (root, info))
        renum = {old: self.next_num + i for i, old in enumerate(keep)}
        self.next_num += len(keep)
        tags: dict[bytes, bytes] = {}

        def ref(m: re.Match[bytes]) -> bytes:
            old = int(m.group(1))
            if old not in renum:
                raise JoinError(f"reference to dropped object {old}")
            return b"%d 0 R" % renum[old]

        def tag(m: re.Match[bytes]) -> bytes:
            # One new tag per subset font (BaseFont and FontName share it).
            key = m.group(0)
            if key not in tags:
                tags[key] = next(self.tags)
            return b"/" + tags[key] + b"+" + m.group(2)

        for old in keep:
            head, stream = _split(objs[old])
            head = _TAG.sub(tag, _REF.sub(ref, head))
            if old == pages_num:
                count = re.search(rb"/Count (\d+)", head)
                if count is None:
                    raise JoinError("page tree without /Count")
                self.pages += int(count.group(1))
                head = head.replace(b"<<", b"<<\n/Parent %d 0 R" % self.ROOT, 1)
            self.digest.update(head)
            self._emit(renum[old], head + stream)
        self.kids.append(renum[pages_num])

    def close(self, title: str = "", author: str = "", subject: str = "") -> None:
        """Write the root page tree, catalog, info and cross-reference table."""
        if not self.kids:
            raise JoinError("no pages")
        kids = b" ".join(b"%d 0 R" % k for k in self.kids)
        self._emit(
            self.ROOT,
            b"<< /Type /Pages /Kids [ %s ] /Count %d >>\n" % (kids, self.pages),
        )
        self._emit(self.CATALOG, b"<< /Type /Catalog /Pages %d 0 R >>\n" % self.ROOT)
        info_num = self.next_num
        self.next_num += 1
        now = datetime.now(UTC).strftime("D:%Y%m%d%H%M%S+00'00'").encode()
        info = b"<< /Title %s /Author %s /Subject %s /Creator (signage) " % (
            _pdf_string(title),
            _pdf_string(author),
            _pdf_string(subject),
        )
        info += b"/Producer (ReportLab, signage) /CreationDate (%s) >>\n" % now
        self._emit(info_num, info)
        xref_at = self.pos
        self._write(b"xref\n0 %d\n0000000000 65535 f \n" % self.next_num)
        for first in range(1, self.next_num, 1024):
            last = min(first + 1024, self.next_num)
            self._write(
                b"".join(
                    b"%010d 00000 n \n" % self.offsets[n] for n in range(first, last)
                )
            )
        doc_id = self.digest.hexdigest()[:32].upper().encode()
        self._write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [ <%s> <%s> ] >>\n"
            % (self.next_num, self.CATALOG, info_num, doc_id, doc_id)
        )
        self._write(b"startxref\n%d\n%%%%EOF\n" % xref_at)
