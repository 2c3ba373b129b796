"""HTML to PDF with WeasyPrint: one FontConfiguration for the process, one render pass per document."""
from functools import lru_cache
from io import BytesIO

from django.conf import settings
from pypdf import PdfWriter
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
    """The merged file for printing, built as the notices are rendered (no list of every document kept)."""

    def __init__(self):
        self.writer = PdfWriter()
        self.count = 0

    def add(self, pdf):
        self.writer.append(BytesIO(pdf))
        self.count += 1

    def getvalue(self):
        if not self.count:
            return None
        out = BytesIO()
        self.writer.write(out)
        return out.getvalue()
