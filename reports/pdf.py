"""HTML to PDF with WeasyPrint: one FontConfiguration for the process, one render pass per document.

PdfMerge streams the merged file for printing to disk, one document at a time, so a batch of thousands of notices
needs no more memory than one.
"""
import os
from array import array
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from django.conf import settings
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration


@lru_cache(maxsize=1)
def font_config():
    return FontConfiguration()


def pdf_render(html):
    """PDF bytes of an HTML document (relative URLs resolve against the templates folder)."""
    base_url = str(settings.BASE_DIR / "templates")
    return HTML(string=html, base_url=base_url).write_pdf(font_config=font_config())


class PdfMerge:
    """The merged file for printing, written to `path` as the documents are added, in the order they are added.

    Unlike pypdf's PdfWriter, which keeps every page of every document in memory until it writes, each document's
    pages and the objects they use (contents, fonts, images, bookmarks) are copied out to the file as soon as it is
    added; only an offset per object and a number per page are kept, so memory does not grow with the documents.
    The file is written as `<path>.part` and moved to `path` by close(); abort(), or an exception inside a `with`
    block, removes it.
    """

    _PAGES, _CATALOG, _OUTLINES = 1, 2, 3  # object numbers reserved for the merged file's own tree

    def __init__(self, path):
        self.path = Path(path)
        self.part = self.path.with_name(self.path.name + ".part")
        self.out = open(self.part, "wb", buffering=1 << 16)
        self.out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        self.offsets = array("Q", [0, 0, 0, 0])  # by object number; 0 (the free head) is never written
        self.pages = array("Q")  # object numbers of the merged pages, in order
        self.count = 0
        self.lang = None
        self.outline_first = self.outline_last = None  # first and last top-level bookmark so far
        self.outline_count = 0
        self.pending = None  # (number, bytes) of the last top-level bookmark, written once its /Next is known

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _new(self):
        self.offsets.append(0)
        return len(self.offsets) - 1

    def add(self, pdf):
        """Append every page of a PDF (bytes, a path or a binary file)."""
        reader = PdfReader(BytesIO(pdf) if isinstance(pdf, (bytes, bytearray)) else pdf)
        numbers, queue = {}, []

        def ref(indirect):
            key = (indirect.idnum, indirect.generation)
            number = numbers.get(key)
            if number is None:
                number = numbers[key] = self._new()
                queue.append((number, indirect))
            return number

        root = reader.trailer["/Root"]
        pages_ref = root.raw_get("/Pages")
        if isinstance(pages_ref, IndirectObject):  # a stray /Parent up the source page tree lands on ours
            numbers[(pages_ref.idnum, pages_ref.generation)] = self._PAGES
        if self.lang is None and "/Lang" in root:
            self.lang = root["/Lang"]

        pages = []
        for page in reader.pages:  # pypdf has copied the inherited attributes (resources, boxes) onto each page
            number, indirect = self._new(), page.indirect_reference
            if indirect is not None:  # links and bookmarks to the page point at the copy
                numbers[(indirect.idnum, indirect.generation)] = number
            pages.append((number, page))
            self.pages.append(number)
        first = last = None
        outlines_ref = root.get("/Outlines")  # get() leaves references unresolved
        outlines = outlines_ref.get_object() if isinstance(outlines_ref, IndirectObject) else None
        if isinstance(outlines, DictionaryObject) and isinstance(outlines.get("/First"), IndirectObject):
            first = outlines.raw_get("/First")
            last = outlines.get("/Last")
            last = last if isinstance(last, IndirectObject) else first
            numbers[(outlines_ref.idnum, outlines_ref.generation)] = self._OUTLINES  # their /Parent: our outline
            self.outline_count += abs(int(outlines["/Count"])) if "/Count" in outlines else 1
            ref(first)
            ref(last)

        for number, page in pages:
            buffer = BytesIO()
            buffer.write(b"<<")
            self._entries(page, buffer, ref, skip="/Parent")
            buffer.write(b"/Parent %d 0 R>>" % self._PAGES)
            self._object(number, buffer.getvalue())
        first_number = numbers[(first.idnum, first.generation)] if first is not None else None
        last_number = numbers[(last.idnum, last.generation)] if last is not None else None
        while queue:
            number, indirect = queue.pop()
            buffer = BytesIO()
            self._write(indirect.get_object(), buffer, ref)
            data = buffer.getvalue()
            if number == first_number and self.outline_last is not None:  # chain after the previous document's
                data = data[:-2] + b"/Prev %d 0 R>>" % self.outline_last
            if number == last_number:
                last_data = data
            else:
                self._object(number, data)
        if first_number is not None:
            self._flush_pending(next_number=first_number)
            self.pending = (last_number, last_data)
            self.outline_first = self.outline_first or first_number
            self.outline_last = last_number
        self.count += 1
        # The reader and the objects it has read point at each other: break the cycles so they go now, not at the
        # next full collection (~1,400 objects a notice would otherwise pile up between them).
        vars(reader).clear()

    def _entries(self, dictionary, out, ref, skip=None):
        for key, value in dictionary.items():
            if key == skip or (len(key) > 2 and key[1] == "%" and key[-1] == "%"):  # pypdf's own bookkeeping keys
                continue
            key.write_to_stream(out)
            out.write(b" ")
            self._write(value, out, ref)
            out.write(b"\n")

    def _write(self, obj, out, ref):
        if isinstance(obj, IndirectObject):
            out.write(b"%d 0 R" % ref(obj))
        elif isinstance(obj, StreamObject):
            out.write(b"<<")
            self._entries(obj, out, ref, skip="/Length")
            out.write(b"/Length %d>>\nstream\n" % len(obj._data))
            out.write(obj._data)
            out.write(b"\nendstream")
        elif isinstance(obj, DictionaryObject):
            out.write(b"<<")
            self._entries(obj, out, ref)
            out.write(b">>")
        elif isinstance(obj, ArrayObject):
            out.write(b"[")
            for value in obj:
                self._write(value, out, ref)
                out.write(b" ")
            out.write(b"]")
        else:
            obj.write_to_stream(out)

    def _object(self, number, data):
        self.offsets[number] = self.out.tell()
        self.out.write(b"%d 0 obj\n" % number)
        self.out.write(data)
        self.out.write(b"\nendobj\n")

    def _flush_pending(self, next_number=None):
        if self.pending is not None:
            number, data = self.pending
            if next_number is not None:
                data = data[:-2] + b"/Next %d 0 R>>" % next_number
            self._object(number, data)
            self.pending = None

    def close(self):
        """Finish the file; returns its path, or None (and no file) when nothing was added."""
        if not self.count:
            self.abort()
            return None
        self._flush_pending()
        out = self.out
        self.offsets[self._PAGES] = out.tell()
        out.write(b"%d 0 obj\n<</Type /Pages /Count %d /Kids [" % (self._PAGES, len(self.pages)))
        for start in range(0, len(self.pages), 1000):
            out.write(b"".join(b"%d 0 R\n" % number for number in self.pages[start:start + 1000]))
        out.write(b"]>>\nendobj\n")
        catalog = b"<</Type /Catalog /Pages %d 0 R" % self._PAGES
        if self.outline_first is not None:
            self.offsets[self._OUTLINES] = out.tell()
            out.write(b"%d 0 obj\n<</Type /Outlines /First %d 0 R /Last %d 0 R /Count %d>>\nendobj\n"
                      % (self._OUTLINES, self.outline_first, self.outline_last, self.outline_count))
            catalog += b" /Outlines %d 0 R" % self._OUTLINES
        if self.lang is not None:
            buffer = BytesIO()
            self.lang.write_to_stream(buffer)
            catalog += b" /Lang " + buffer.getvalue()
        self.offsets[self._CATALOG] = out.tell()
        out.write(b"%d 0 obj\n%s>>\nendobj\n" % (self._CATALOG, catalog))
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % len(self.offsets))
        for start in range(1, len(self.offsets), 1000):
            out.write(b"".join(b"%010d 00000 n \n" % offset if offset else b"0000000000 65535 f \n"
                               for offset in self.offsets[start:start + 1000]))
        out.write(b"trailer\n<</Size %d /Root %d 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(self.offsets), self._CATALOG, xref))
        out.close()
        os.replace(self.part, self.path)
        return self.path

    def abort(self):
        """Drop the partial file."""
        self.out.close()
        self.part.unlink(missing_ok=True)
