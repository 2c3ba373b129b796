"""Run pyx12's validator through its Python API and collect every error it reports (the exit code alone is not reliable)."""
import io
import logging

import pyx12.error_handler
import pyx12.params
import pyx12.x12n_document


class _RecordingHandler(pyx12.error_handler.err_handler):
    found = None

    def isa_error(self, err_cde, err_str):
        self.found.append(f"ISA {err_cde}: {err_str}")
        super().isa_error(err_cde, err_str)

    def gs_error(self, err_cde, err_str):
        self.found.append(f"GS {err_cde}: {err_str}")
        super().gs_error(err_cde, err_str)

    def st_error(self, err_cde, err_str):
        self.found.append(f"ST {err_cde}: {err_str}")
        super().st_error(err_cde, err_str)

    def seg_error(self, err_cde, err_str, err_value=None, src_line=None):
        self.found.append(f"segment {err_cde}: {err_str} ({err_value})")
        super().seg_error(err_cde, err_str, err_value, src_line)

    def ele_error(self, err_cde, err_str, bad_value, refdes=None):
        self.found.append(f"element {refdes} {err_cde}: {err_str} ({bad_value})")
        super().ele_error(err_cde, err_str, bad_value, refdes)


class _LogErrors(logging.Handler):
    def __init__(self, found):
        super().__init__(level=logging.ERROR)
        self.found = found

    def emit(self, record):
        self.found.append(f"log: {record.getMessage()}")


def validate(path, monkeypatch):
    """Validate an X12 file; returns (errors, the 999 pyx12 wrote for it)."""
    found = []
    handler_class = type("Recording", (_RecordingHandler,), {"found": found})
    monkeypatch.setattr(pyx12.error_handler, "err_handler", handler_class)
    log = _LogErrors(found)
    logger = logging.getLogger("pyx12")
    logger.addHandler(log)
    ack = io.StringIO()
    try:
        with open(path, encoding="utf-8") as src:
            ok = pyx12.x12n_document.x12n_document(param=pyx12.params.params(), src_file=src, fd_997=ack, fd_html=None)
    finally:
        logger.removeHandler(log)
    if not ok and not found:
        found.append("x12n_document reported the file invalid")
    return found, ack.getvalue()
