"""The one PDF renderer (DESIGN.md §4): a Django template, printed by WeasyPrint.

- Tagged PDF (`pdf_tags=True`): a structure tree for screen readers, with the document's
  language (`<html lang>`, the PDF catalog's /Lang) and title (`<title>`, shown by viewers
  instead of the file name).
- Fonts: DejaVu Sans from the system (fontconfig), subset and embedded by WeasyPrint; no
  web font is ever downloaded.
- No network at run time: the URL fetcher serves only `data:` URIs and our own static and
  media files (through Django's finders and storages); any other URL, http(s) included, is
  refused and the resource is left out of the document.
- Speed: WeasyPrint's user-agent stylesheet without the rules our PDFs never use
  (`PrintHTML`), stylesheets parsed once per process (`shared_stylesheet`), one font
  configuration and one URL fetcher per thread.

Templates extend "core/pdf/base.html" (A4, margins, page numbers, the coop colour).
"""

import functools
import mimetypes
import posixpath
import re
import threading
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext

# Relative URLs in PDF templates ("/static/...", "/media/...") resolve against this base;
# the fetcher maps them back to files. Nothing is ever read from this "host".
DEFAULT_BASE_URL = "file:///"
MAX_RESOURCE_BYTES = 5 * 1024 * 1024
PDF_OPTIONS = {"pdf_tags": True, "pdf_version": "1.7", "custom_metadata": True}


class ResourceRefusedError(ValueError):
    """A PDF template asked for something other than our own files or a data: URI."""


def _local_name(url: str, prefix: str) -> str | None:
    """The file name under `prefix` (STATIC_URL or MEDIA_URL) that `url` points at.

    Relative URLs in templates ("/static/x.css") arrive resolved against
    DEFAULT_BASE_URL ("file:///static/x.css"); an absolute STATIC_URL or MEDIA_URL (a
    CDN, a bucket) is matched as a plain prefix. Names climbing out of the prefix are
    refused here, and the finders and storages refuse them again (safe_join).
    """
    if not prefix:
        return None
    if urlsplit(prefix).scheme:
        if not url.startswith(prefix):
            return None
        rest = unquote(urlsplit(url[len(prefix) :]).path)
    else:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = unquote(parts.path)
        root = "/" + prefix.strip("/") + "/"
        if not path.startswith(root):
            return None
        rest = path[len(root) :]
    rest = posixpath.normpath(rest)
    if rest.startswith(("../", "/")) or rest in (".", ".."):
        return None
    return rest


def _read_static(name: str) -> bytes | None:
    found = finders.find(name)
    if found:
        with open(found, "rb") as handle:
            return handle.read(MAX_RESOURCE_BYTES + 1)
    if staticfiles_storage.exists(name):  # collected (hashed) names in production
        with staticfiles_storage.open(name) as handle:
            return handle.read(MAX_RESOURCE_BYTES + 1)
    return None


def _read_media(name: str) -> bytes | None:
    if not default_storage.exists(name):
        return None
    with default_storage.open(name) as handle:
        return handle.read(MAX_RESOURCE_BYTES + 1)


class LocalURLFetcher(URLFetcher):
    """Serves data: URIs and our own static and media files; refuses everything else."""

    def __init__(self):
        # The parent's opener is only ever used for data: URIs.
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)

    def fetch(self, url, headers=None):
        if url[:5].lower() == "data:":
            return super().fetch(url, headers)
        for prefix, read in (
            (settings.STATIC_URL, _read_static),
            (settings.MEDIA_URL, _read_media),
        ):
            name = _local_name(url, prefix)
            if name is None:
                continue
            body = read(name)
            if body is None:
                raise ResourceRefusedError(f"No such local file: {url}")
            if len(body) > MAX_RESOURCE_BYTES:
                raise ResourceRefusedError(f"File too large for a PDF: {url}")
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": content_type})
        raise ResourceRefusedError(f"PDFs only use local files, not {url}")


# --- WeasyPrint's user-agent stylesheet, trimmed ---------------------------------------
# Rules of WeasyPrint's HTML user-agent stylesheet that our PDFs never use: footnotes and
# notes (each gives every element six pseudo-elements whose styles are computed, printed
# or not), `dir` attributes, table `rules`/`frame` attributes and form fields (none in our
# templates). Each rule is one line of that file. Leaving them out changes no page
# (tests/kit/test_print_user_agent.py compares the pixels of every piece of a kit) and
# saves a twentieth of a kit's render time (docs/decisions/0010).
_UNUSED_UA_RULES = (
    "::footnote",
    "::note",
    "[dir",
    "dd[dir",
    ":is(dir, menu, ol, ul)[dir",
    "table:is([rules]",
)
_UA_FORMS = re.compile(r"/\* Form fields \*/.*?(?=/\* Pages \*/)", re.S)


def print_user_agent_css() -> str:
    from weasyprint.html import UA

    lines = [
        # Only list items have a marker in our templates.
        line.replace("::marker", "li::marker") if line.startswith("::marker") else line
        for line in _UA_FORMS.sub("", UA).split("\n")
        # Counter styles come to each document from WeasyPrint's own parse of the sheet.
        if not line.lstrip().startswith((*_UNUSED_UA_RULES, "@counter-style"))
    ]
    return "\n".join(lines)


@functools.cache
def print_user_agent_stylesheet() -> CSS:
    return CSS(string=print_user_agent_css())


class PrintHTML(HTML):
    """An HTML document printed with print_user_agent_stylesheet (WeasyPrint asks each
    document for its user-agent stylesheets through this method)."""

    def _ua_stylesheets(self, forms=False):
        if forms:  # `pdf_forms=True`: WeasyPrint's form sheet too
            from weasyprint.html import UA_FORM_STYLESHEET

            return [print_user_agent_stylesheet(), UA_FORM_STYLESHEET]
        return [print_user_agent_stylesheet()]


# Font configuration is costly to build and reusable between documents; Pango objects
# are not shared between threads, hence one per thread.
_local = threading.local()


def _font_config() -> FontConfiguration:
    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
    return config


def _url_fetcher() -> LocalURLFetcher:
    """One fetcher per thread: building one creates an SSL context (about 20 ms)."""
    fetcher = getattr(_local, "url_fetcher", None)
    if fetcher is None:
        fetcher = _local.url_fetcher = LocalURLFetcher()
    return fetcher


def shared_stylesheet(template_name: str) -> CSS:
    """A stylesheet template parsed once per thread and process, for documents printed by
    the hundred (the print kit): `render_pdf(..., stylesheets=[shared_stylesheet(...)])`
    with the template's `base_stylesheet` block emptied. Such sheets take part in the
    cascade as user stylesheets: below every rule of the document itself (the coop's
    colour, the page counter), in their own order among themselves. Static CSS only: the
    template is rendered without context, once."""
    sheets = getattr(_local, "stylesheets", None)
    if sheets is None:
        sheets = _local.stylesheets = {}
    sheet = sheets.get(template_name)
    if sheet is None:
        sheet = sheets[template_name] = CSS(
            string=render_to_string(template_name),
            base_url=DEFAULT_BASE_URL,
            url_fetcher=_url_fetcher(),
            font_config=_font_config(),
        )
    return sheet


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_counter_css() -> str:
    """A CSS `content` value for "Page X of Y", translated, with live page counters."""
    marker_page, marker_pages = "\x00PAGE\x00", "\x00PAGES\x00"
    label = gettext("Page %(page)s of %(pages)s") % {"page": marker_page, "pages": marker_pages}
    css = _css_string(label)
    return css.replace(marker_page, '" counter(page) "').replace(marker_pages, '" counter(pages) "')


def render_html(template_name: str, context: dict, *, title: str, lang: str = "fr") -> str:
    """The HTML that render_pdf prints (for tests and for looking at it in a browser)."""
    with translation.override(lang):
        return render_to_string(
            template_name,
            {
                **context,
                "pdf_title": title,
                "pdf_lang": lang,
                "pdf_page_counter": page_counter_css(),
            },
        )


def render_pdf(
    template_name: str,
    context: dict,
    *,
    title: str,
    lang: str = "fr",
    base_url=None,
    stylesheets: list[CSS] | None = None,
) -> bytes:
    """Render `template_name` (extending core/pdf/base.html) to a tagged PDF.

    `stylesheets`: parsed once and reused (shared_stylesheet), for documents printed by
    the hundred."""
    html = render_html(template_name, context, title=title, lang=lang)
    document = PrintHTML(
        string=html,
        base_url=base_url or DEFAULT_BASE_URL,
        url_fetcher=_url_fetcher(),
        media_type="print",
    )
    return document.write_pdf(stylesheets=stylesheets, font_config=_font_config(), **PDF_OPTIONS)


def pdf_response(pdf_bytes: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(pdf_bytes, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["Content-Length"] = str(len(pdf_bytes))
    response["X-Content-Type-Options"] = "nosniff"
    return response
