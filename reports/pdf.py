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


def pdf_merge(documents):
    """One PDF of several, in order, for printing: `documents` are PDF bytes or file-like objects."""
    writer = PdfWriter()
    for document in documents:
        writer.append(BytesIO(document) if isinstance(document, bytes) else document)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
