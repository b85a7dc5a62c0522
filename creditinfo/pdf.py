"""HTML templates to PDF with WeasyPrint, and the QR codes printed on reports.

The print templates carry their own CSS and embed every image as a data: URI, so rendering never reaches the
network or the file system: the fetcher refuses any other scheme (a record's text cannot make the renderer
fetch anything, even if a template forgot to escape it). Fonts come from fontconfig by family name; the
set-up installs WenQuanYi Micro Hei (`make sysdeps`) for Chinese text.
"""

import logging

import segno
from django.template.loader import render_to_string

# WeasyPrint reports every layout step, and fontTools every subsetting step, at INFO: the project's root logger
# is at INFO, and a report would write hundreds of lines to the worker's log.
for _name in ("weasyprint.progress", "fontTools"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render a Django template to PDF bytes (A4 and page numbers come from the template's @page CSS)."""
    # Imported here: loading WeasyPrint parses its stylesheets, which every process importing the URLconf would pay.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(template_name, context)
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


def qr_data_uri(text: str) -> str:
    """An SVG QR code of `text` as a data: URI (error correction M, which survives a creased printout)."""
    return segno.make(text, error="m", micro=False).svg_data_uri(scale=4, border=2)
