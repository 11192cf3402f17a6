"""Rendering mail: a message is rendered and its CSS inlined ONCE per version; each
member's copy is then the frozen HTML and text with placeholders filled in.

Placeholders look like `[[cc:name]]` and survive the CSS inliner untouched:
  first_name, unsubscribe_url, preferences_url      per member (escaped in the HTML)
  link:<code>                                       a tracked link (/m/<token>/)
  slot:<name>                                       a per-member item (next_item,
                                                    next_module, booklet: the welcome booklet
                                                    of the member's profile), chosen when the
                                                    ledger is built and stored in
                                                    Recipient.variables; its fragments are
                                                    inlined once too.
"""

import base64
import binascii
import hashlib
import html
import json
import re
import secrets
from dataclasses import dataclass
from email import policy as email_policy
from email.utils import formataddr, formatdate, parseaddr
from types import SimpleNamespace

import css_inline

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from coopculture.campaigns.models import Message, MessageVersion
from coopculture.core.mail import PlatformEmail, platform_headers
from coopculture.kit import api as kit_api
from coopculture.learning import api as learning_api
from coopculture.members import links as member_links

PLACEHOLDER = re.compile(r"\[\[cc:([a-z0-9_:.-]+)\]\]")
UNSUBSCRIBE_SALT = "coopculture.campaigns.unsubscribe"
CLICK_SALT = "coopculture.campaigns.click"
PER_MEMBER_SLOTS = ("next_item", "next_module", "booklet")
# The kinds of links of a test copy (campaigns_public:test-link).
TEST_LINK_UNSUBSCRIBE = "desinscription"
TEST_LINK_PREFERENCES = "preferences"


def site_url(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + path


def branding_of(coop) -> dict:
    return {
        "name": coop.name,
        "colour": coop.safe_colour,
        "logo_url": site_url(coop.logo.url) if coop.logo else "",
        "address": coop.postal_address,
        "reply_to": coop.contact_email,
        "slug": coop.slug,
    }


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs; {first_name} becomes the placeholder."""
    chunks = [c.strip() for c in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if c.strip()]
    return [c.replace("{first_name}", "[[cc:first_name]]") for c in chunks]


def _html_paragraph(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


# --- Blocks: MOOC items placed in a message ----------------------------------------------


@dataclass
class _Item:
    kind: str
    title: str = ""
    module_title: str = ""
    quote: str = ""
    person: str = ""
    role: str = ""
    paragraphs: tuple = ()
    link_label: str = ""
    second_code: str = ""  # a second link (the booklet's PDF)


def _item_from_mail_item(item) -> _Item:
    return _Item(
        kind=item.kind,
        title=item.title,
        module_title=item.module_title,
        quote=item.quote,
        person=item.person,
        role=item.role,
    )


class _Links:
    def __init__(self):
        self.targets: dict[str, str] = {}

    def add(self, prefix: str, url: str) -> str:
        code = f"{prefix}{len(self.targets) + 1}"
        self.targets[code] = site_url(url)
        return code


def _render_block(item: _Item, code: str, poster_url: str = "", heading: str = ""):
    context = {
        "item": item,
        "code": code,
        "second_code": item.second_code,
        "poster_url": poster_url,
        "heading": heading,
    }
    return (
        render_to_string("campaigns/email/_block.html", context).strip(),
        render_to_string("campaigns/email/_block.txt", context).strip(),
    )


def _mail_item_block(mail_item, links: _Links, prefix: str, heading: str = ""):
    target = mail_item.leaflet_path or mail_item.path
    code = links.add(prefix, target)
    poster = site_url(mail_item.poster_path) if mail_item.poster_path else ""
    return _render_block(_item_from_mail_item(mail_item), code, poster, heading)


def _static_blocks(coop, blocks: list[dict], links: _Links, news=None):
    """(html blocks, text blocks) of the blocks that are the same for everyone; per-member
    blocks become slot placeholders."""
    html_blocks, text_blocks = [], []
    for block in blocks:
        kind = block.get("type")
        rendered = None
        if kind in {"video", "testimonial", "leaflet"}:
            item = learning_api.mail_item(
                coop=coop, module_slug=block.get("module", ""), position=block.get("position", 0)
            )
            if item is not None:
                rendered = _mail_item_block(item, links, "l")
        elif kind == "link" and block.get("url"):
            code = links.add("l", block["url"])
            rendered = _render_block(
                _Item(kind="link", title=block.get("label") or block["url"]), code
            )
        elif kind == "news" and news is not None:
            code = links.add("l", news.link_url) if news.link_url else ""
            item = _Item(
                kind="news",
                title=news.title,
                paragraphs=tuple(_paragraphs(news.body)),
                link_label=news.link_label,
            )
            rendered = _render_block(item, code)
        elif kind in PER_MEMBER_SLOTS:
            rendered = (f"[[cc:slot:{kind}]]", f"[[cc:slot:{kind}]]")
        if rendered is not None:
            html_blocks.append(rendered[0])
            text_blocks.append(rendered[1])
    return html_blocks, text_blocks


def _slot_fragments(coop, blocks: list[dict], links: _Links) -> dict:
    """Every possible item of each per-member slot, rendered once: {slot: {key: {html, text}}}."""
    wanted = {block.get("type") for block in blocks} & set(PER_MEMBER_SLOTS)
    fragments: dict[str, dict] = {}
    if "next_item" in wanted:
        fragments["next_item"] = {}
        for item in learning_api.mail_items(coop=coop):
            html_part, text_part = _mail_item_block(
                item, links, "n", heading=str(translation.gettext("For you this month"))
            )
            fragments["next_item"][item.key] = {"html": html_part, "text": text_part}
    if "next_module" in wanted:
        fragments["next_module"] = {}
        for coop_module in learning_api.coop_module_list(coop=coop):
            module = coop_module.module
            path = reverse(
                "learning:module", kwargs={"coop_slug": coop.slug, "module_slug": module.slug}
            )
            html_part, text_part = _render_block(
                _Item(kind="next_module", title=module.title), links.add("m", path)
            )
            fragments["next_module"][module.slug] = {"html": html_part, "text": text_part}
    if "booklet" in wanted:
        # The welcome booklet of each profile (the member's, chosen at the ledger): its page
        # and its PDF, under the coop (kit.api).
        fragments["booklet"] = {}
        labels = dict(learning_api.audiences())
        for profile in kit_api.BOOKLET_PROFILES:
            item = _Item(
                kind="booklet",
                title=str(
                    translation.gettext("Welcome booklet: %(profile)s")
                    % {"profile": labels[profile]}
                ),
                second_code=links.add(
                    "b", kit_api.booklet_path(coop=coop, profile=profile, pdf=True)
                ),
            )
            code = links.add("b", kit_api.booklet_path(coop=coop, profile=profile))
            html_part, text_part = _render_block(item, code)
            fragments["booklet"][profile] = {"html": html_part, "text": text_part}
    return fragments


def _css_of(document: str) -> str:
    return "\n".join(re.findall(r"<style>(.*?)</style>", document, flags=re.S))


def render_version_content(*, coop, subject, preheader, body, blocks, news=None) -> dict:
    """The frozen parts of a version: inlined HTML, text, fragments, links. The CSS inliner
    runs here, once per version (and once per fragment), never per member."""
    links = _Links()
    with translation.override(settings.LANGUAGE_CODE):
        branding = branding_of(coop)
        html_blocks, text_blocks = _static_blocks(coop, blocks, links, news=news)
        paragraphs = _paragraphs(body)
        subject_ph = subject.replace("{first_name}", "[[cc:first_name]]")
        context = {
            "branding": branding,
            "subject": subject_ph,
            "preheader": preheader.replace("{first_name}", "[[cc:first_name]]"),
            "paragraphs": [_html_paragraph(p) for p in paragraphs],
            "blocks": html_blocks,
        }
        document = render_to_string("campaigns/email/message.html", context)
        text = render_to_string(
            "campaigns/email/message.txt",
            {**context, "paragraphs": paragraphs, "blocks": text_blocks},
        )
        fragments = _slot_fragments(coop, blocks, links)
    css = _css_of(document)
    inlined = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False).inline(
        document
    )
    for slot in fragments.values():
        for parts in slot.values():
            parts["html"] = css_inline.inline_fragment(parts["html"], css)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return {
        "subject": subject_ph,
        "branding": branding,
        "html": inlined,
        "text": text,
        "fragments": fragments,
        "links": links.targets,
    }


def content_hash(message: Message, branding: dict, news_id=None) -> str:
    payload = json.dumps(
        [
            message.subject,
            message.preheader,
            message.body,
            message.blocks,
            branding,
            news_id,
            message.letter_body,
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


# --- Per member ---------------------------------------------------------------------------


class _Template:
    """A text with placeholders, split once: filling it is a join."""

    __slots__ = ("parts",)

    def __init__(self, source: str):
        self.parts = PLACEHOLDER.split(source)  # literal, name, literal, name, ..., literal

    def fill(self, values) -> str:
        parts = self.parts
        out = [parts[0]]
        for i in range(1, len(parts), 2):
            out.append(values(parts[i]))
            out.append(parts[i + 1])
        return "".join(out)


def unsubscribe_token(idempotency_key: str) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(idempotency_key)


def unsubscribe_key(token: str) -> str | None:
    try:
        return signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None


def click_token(idempotency_key: str, code: str) -> str:
    return signing.Signer(salt=CLICK_SALT).sign(f"{idempotency_key}.{code}")


def click_payload(token: str) -> tuple[str, str] | None:
    try:
        value = signing.Signer(salt=CLICK_SALT).unsign(token)
    except signing.BadSignature:
        return None
    key, _sep, code = value.partition(".")
    return (key, code) if key and code else None


@dataclass
class MemberValues:
    """What one member's copy needs (from the ledger row and the member)."""

    idempotency_key: str
    email: str
    first_name: str
    member_public_id: object
    variables: dict
    # A test or preview copy for staff (a fictitious member): its unsubscribe and
    # preferences links open a page saying so (never a member's), its content links go
    # straight to their targets (nothing counted).
    test: bool = False


class PreparedVersion:
    """A version ready to personalise: split once per process and reused for every member."""

    def __init__(self, version: MessageVersion, coop):
        self.version = version
        self.coop = coop
        self.subject = _Template(version.subject)
        self.html = _Template(version.html)
        self.text = _Template(version.text)
        self.fragments = {
            slot: {
                key: (_Template(parts["html"]), _Template(parts["text"]))
                for key, parts in items.items()
            }
            for slot, items in (version.fragments or {}).items()
        }
        self.site = settings.SITE_URL.rstrip("/")
        self.unsubscribe_prefix = self.site + reverse(
            "campaigns_public:unsubscribe", kwargs={"coop_slug": coop.slug, "token": "TOKEN"}
        ).replace("TOKEN/", "")
        self.preferences_prefix = self.site + reverse(
            "members_public:preferences", kwargs={"coop_slug": coop.slug, "token": "TOKEN"}
        ).replace("TOKEN/", "")
        self.test_link_prefix = self.site + reverse(
            "campaigns_public:test-link", kwargs={"coop_slug": coop.slug, "kind": "KIND"}
        ).replace("KIND/", "")
        self.click_prefix = self.site + reverse(
            "campaigns_click", kwargs={"token": "TOKEN"}
        ).replace("TOKEN/", "")
        _name, address = parseaddr(settings.BULK_FROM_EMAIL)
        self.from_email = formataddr((coop.name, address))
        self.mailto = settings.CAMPAIGNS_UNSUBSCRIBE_MAILTO or address
        self.domain = address.rpartition("@")[2] or "culture-coop.example.org"
        self.reply_to = [coop.contact_email] if coop.contact_email else []
        self.envelope_from = address

    def unsubscribe_url(self, key: str) -> str:
        return f"{self.unsubscribe_prefix}{unsubscribe_token(key)}/"

    def test_link_url(self, kind: str) -> str:
        return f"{self.test_link_prefix}{kind}/"

    def unsubscribe_url_for(self, member: MemberValues) -> str:
        if member.test:
            return self.test_link_url(TEST_LINK_UNSUBSCRIBE)
        return self.unsubscribe_url(member.idempotency_key)

    def render(self, member: MemberValues, unsubscribe: str = "") -> tuple[str, str, str]:
        """(subject, html, text) of one member's copy."""
        key = member.idempotency_key
        unsubscribe = unsubscribe or self.unsubscribe_url_for(member)
        if member.test:
            preferences = self.test_link_url(TEST_LINK_PREFERENCES)
        else:
            owner = SimpleNamespace(coop_id=self.coop.pk, public_id=member.member_public_id)
            preferences = f"{self.preferences_prefix}{member_links.preferences_token(owner)}/"
        clicks: dict[str, str] = {}

        def click(code: str) -> str:
            url = clicks.get(code)
            if url is None:
                if member.test:
                    url = site_url((self.version.links or {}).get(code) or "/")
                else:
                    url = f"{self.click_prefix}{click_token(key, code)}/"
                clicks[code] = url
            return url

        def values_for(escape: bool, kind: int):
            first_name = html.escape(member.first_name) if escape else member.first_name

            def value(name: str) -> str:
                if name == "first_name":
                    return first_name
                if name == "unsubscribe_url":
                    return html.escape(unsubscribe) if escape else unsubscribe
                if name == "preferences_url":
                    return html.escape(preferences) if escape else preferences
                if name.startswith("link:"):
                    return click(name[5:])
                if name.startswith("slot:"):
                    slot = name[5:]
                    chosen = (member.variables or {}).get(slot)
                    pair = self.fragments.get(slot, {}).get(chosen)
                    return pair[kind].fill(value) if pair else ""
                return ""

            return value

        subject = self.subject.fill(values_for(False, 1))
        return (
            subject,
            self.html.fill(values_for(True, 0)),
            self.text.fill(values_for(False, 1)),
        )

    def _constant_headers(self) -> bytes:
        """The headers every copy shares, folded once by the email package."""
        cached = getattr(self, "_constant", None)
        if cached is None:
            from email.message import EmailMessage as _Headers

            headers = _Headers(policy=email_policy.SMTP)
            headers["From"] = self.from_email
            if self.reply_to:
                headers["Reply-To"] = ", ".join(self.reply_to)
            headers["List-Id"] = f"{self.coop.name} <{self.coop.slug}.{self.domain}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            headers["X-Auto-Response-Suppress"] = "OOF, AutoReply"
            for name, value in platform_headers().items():
                headers[name] = value
            headers["MIME-Version"] = "1.0"
            cached = self._constant = headers.as_bytes().rstrip(b"\r\n") + b"\r\n"
            self._boundary = f"=_cc_{secrets.token_hex(12)}"
        return cached

    def email(self, member: MemberValues):
        """The message of one member's copy, with the RFC 8058 headers. Its bytes are
        assembled here (headers shared by every copy are folded once per version, bodies
        quoted-printable by binascii): the email package's per-header folding would cost
        more than everything else together. The Django message's attributes stay set, so
        other backends (locmem in tests, django-anymail) see an ordinary message."""
        key = member.idempotency_key
        unsubscribe = self.unsubscribe_url_for(member)
        subject, html_body, text_body = self.render(member, unsubscribe)
        list_unsubscribe = f"<{unsubscribe}>, <mailto:{self.mailto}?subject=unsubscribe-{key}>"
        headers = {
            "Message-ID": f"<{key}@{self.domain}>",
            "List-Unsubscribe": list_unsubscribe,
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{self.coop.name} <{self.coop.slug}.{self.domain}>",
            "X-Auto-Response-Suppress": "OOF, AutoReply",
        }
        message = PrebuiltEmail(
            subject=subject,
            body=text_body,
            from_email=self.from_email,
            to=[member.email],
            reply_to=self.reply_to,
            headers=headers,
        )
        message.attach_alternative(html_body, "text/html")
        if member.email.isascii():
            constant = self._constant_headers()
            boundary = self._boundary.encode()
            parts = [
                constant,
                b"To: ", member.email.encode(), b"\r\n",
                b"Subject: ", _encode_subject(subject), b"\r\n",
                b"Date: ", formatdate(usegmt=True).encode(), b"\r\n",
                b"Message-ID: <", key.encode(), b"@", self.domain.encode(), b">\r\n",
                b"List-Unsubscribe: <", unsubscribe.encode(), b">,\r\n <mailto:",
                self.mailto.encode(), b"?subject=unsubscribe-", key.encode(), b">\r\n",
                b'Content-Type: multipart/alternative; boundary="', boundary, b'"\r\n',
                b"\r\n--", boundary, b"\r\n",
                b'Content-Type: text/plain; charset="utf-8"\r\n',
                b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                _qp(text_body),
                b"\r\n--", boundary, b"\r\n",
                b'Content-Type: text/html; charset="utf-8"\r\n',
                b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                _qp(html_body),
                b"\r\n--", boundary, b"--\r\n",
            ]  # fmt: skip
            message.raw_bytes = b"".join(parts)
        return message


def _qp(text: str) -> bytes:
    return (
        binascii.b2a_qp(text.encode(), istext=True).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    )


def _encode_subject(subject: str) -> bytes:
    """RFC 2047 encoded words (base64, UTF-8), each under 76 characters, folded."""
    # Line breaks and tabs become spaces; no-break spaces stay (French typography).
    subject = " ".join(re.split(r"[ \t\r\n]+", subject.strip(" \t\r\n")))
    if subject.isascii() and len(subject) < 68:
        return subject.encode()
    words, chunk = [], ""
    for char in subject:
        if len((chunk + char).encode()) > 42:
            words.append(chunk)
            chunk = ""
        chunk += char
    words.append(chunk)
    encoded = [b"=?utf-8?b?" + base64.b64encode(w.encode()) + b"?=" for w in words if w]
    return b"\r\n ".join(encoded)


class _RawMessage:
    """What Django's SMTP backend asks of message(): its bytes."""

    def __init__(self, raw: bytes):
        self.raw = raw

    def as_bytes(self, *args, **kwargs) -> bytes:
        return self.raw


class PrebuiltEmail(PlatformEmail):
    raw_bytes: bytes | None = None

    def message(self, *, policy=email_policy.default):
        if self.raw_bytes is not None and policy is email_policy.SMTP:
            return _RawMessage(self.raw_bytes)
        return super().message(policy=policy)
