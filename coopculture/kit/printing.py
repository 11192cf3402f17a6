"""The print kit: the catalogue of a coop's printed pieces and their rendering to PDF.

Every piece is a Django template printed by core.pdf (tagged, fonts embedded, no network),
personalised from the coop's profile (name, logo, readable colour, contacts, highlighted
modules) and its KitSettings texts. Each piece carries its own tracked QR code
(links.piece_link: one link per coop and piece, made once, reused at every build, its
target editable by staff afterwards).

Layouts never break: the flyer is exactly two A5 pages and the posters one page each, with
the longest coop name (80 characters) and every text at its maximum length; the tests
check it on the rendered boxes, not only on the page count (see tests/kit/test_print*.py).
"""

import re
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coopculture.coops.scoping import ensure_same_coop
from coopculture.core import qr
from coopculture.core.pdf import render_pdf, shared_stylesheet
from coopculture.kit import links, selectors
from coopculture.kit.models import Channel, KitSettings, TargetKind
from coopculture.learning import api as learning

NBSP = "\u00a0"
NNBSP = "\u202f"

# Which coop activities make a welcome booklet worth printing for a profile.
PROFILE_ACTIVITIES = {
    "accedant": {"accession_vefa", "psla", "brs_ofs", "habitat_participatif"},
    "locataire": {"gestion_locative"},
    "coproprietaire": {"syndic", "accession_vefa", "psla", "brs_ofs"},
}
PROFILE_PLURALS = {
    "accedant": gettext_lazy("home buyers"),
    "locataire": gettext_lazy("tenants"),
    "coproprietaire": gettext_lazy("co-owners"),
}
FILE_PROFILES = {
    "accedant": "accedants",
    "locataire": "locataires",
    "coproprietaire": "coproprietaires",
}
HIGHLIGHTS_MAX = 4  # modules named on the flyer and the posters


class Kind:
    FLYER = "flyer"
    POSTER = "poster"
    BOOKLET = "booklet"
    LEAFLET = "leaflet"
    FORM = "form"


@dataclass(frozen=True)
class Piece:
    """One printed piece of a coop's kit."""

    key: str  # in URLs: "flyer", "poster-a4", "booklet-accedant", "leaflet-<module>-<n>"
    kind: str
    title: str
    filename: str
    pages: int | None = None  # the exact page count of fixed layouts
    qr_distance_cm: int = 20  # how far away its QR code is read from (size guidance)
    profile: str = ""
    module_slug: str = ""
    position: int | None = None
    module_title: str = ""

    @property
    def qr_min_cm(self) -> float:
        return qr.min_print_size_cm(self.qr_distance_cm)


# --- French typography -----------------------------------------------------------------

_BEFORE_HIGH_PUNCTUATION = re.compile(r"[ \u00a0\u202f]*([:;?!»])")
_AFTER_OPENING_GUILLEMET = re.compile(r"«[ \u00a0\u202f]*")
_STRAIGHT_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_URL = re.compile(r"(https?://\S+|www\.\S+|\S+@\S+)")


def french_typography(text: str) -> str:
    """Staff texts as French printing wants them: a no-break space before : ; ? ! » and
    after «, typographic apostrophes. URLs and times ("https://", "10:30") are kept."""
    if not text:
        return ""
    # URLs and email addresses are kept as they are: only the text between them changes.
    parts = _URL.split(text)
    return "".join(
        part if i % 2 else _typeset(part, at_start=i == 0) for i, part in enumerate(parts)
    )


def _typeset(text: str, *, at_start: bool) -> str:
    def before(match: re.Match) -> str:
        sign = match.group(1)
        prev = text[match.start() - 1] if match.start() else ""
        following = text[match.end() : match.end() + 1]
        if sign == ":" and (following == "/" or (prev.isdigit() and following.isdigit())):
            return match.group(0)  # "https://", "10:30"
        if prev == "\n" or (prev == "" and at_start):
            return match.group(0)
        if sign in "?!" and prev and prev in "?!":
            return sign  # "?!" stays together
        return NBSP + sign

    text = _BEFORE_HIGH_PUNCTUATION.sub(before, text)
    text = _AFTER_OPENING_GUILLEMET.sub("«" + NBSP, text)
    return _STRAIGHT_APOSTROPHE.sub("\u2019", text)


# --- The catalogue -----------------------------------------------------------------------


def booklet_profiles(coop) -> list[str]:
    """The profiles whose welcome booklet the coop's activities call for (all of them
    when its activities say nothing)."""
    activities = set(coop.activities or [])
    wanted = [p for p, needs in PROFILE_ACTIVITIES.items() if activities & needs]
    return wanted or list(PROFILE_ACTIVITIES)


def kit_pieces(*, coop, modules=None) -> list[Piece]:
    """Every piece of `coop`'s kit, in the order staff see them (and the ZIP holds them)."""
    if modules is None:
        modules = learning.kit_modules(coop=coop)
    slug = coop.slug
    profile_labels = dict(learning.audiences())
    pieces = [
        Piece(
            key="flyer",
            kind=Kind.FLYER,
            title=_("A5 flyer, front and back"),
            filename=f"flyer-a5-{slug}.pdf",
            pages=2,
            qr_distance_cm=20,
        ),
        Piece(
            key="poster-a4",
            kind=Kind.POSTER,
            title=_("A4 poster"),
            filename=f"affiche-a4-{slug}.pdf",
            pages=1,
            qr_distance_cm=70,
        ),
        Piece(
            key="poster-a3",
            kind=Kind.POSTER,
            title=_("A3 poster"),
            filename=f"affiche-a3-{slug}.pdf",
            pages=1,
            qr_distance_cm=100,
        ),
    ]
    for profile in booklet_profiles(coop):
        pieces.append(booklet_piece(coop=coop, profile=profile, labels=profile_labels))
    for module in modules:
        several = len(module.leaflets) > 1
        for leaflet in module.leaflets:
            suffix = f"-{leaflet.position}" if several else ""
            pieces.append(
                Piece(
                    key=f"leaflet-{module.slug}-{leaflet.position}",
                    kind=Kind.LEAFLET,
                    title=_("Leaflet: %(title)s") % {"title": leaflet.title},
                    filename=f"plaquette-{module.slug}{suffix}.pdf",
                    module_slug=module.slug,
                    position=leaflet.position,
                    module_title=module.title,
                )
            )
    pieces.append(
        Piece(
            key="registration-form",
            kind=Kind.FORM,
            title=_("Session registration form"),
            filename=f"fiche-inscription-{slug}.pdf",
            pages=1,
        )
    )
    return pieces


def booklet_piece(*, coop, profile: str, labels: dict | None = None) -> Piece:
    """The welcome booklet of `profile` (a key of PROFILE_ACTIVITIES; KeyError otherwise).
    Members get the booklet of their profile online whatever the coop prints."""
    labels = labels if labels is not None else dict(learning.audiences())
    return Piece(
        key=f"booklet-{profile}",
        kind=Kind.BOOKLET,
        title=_("Welcome booklet: %(profile)s") % {"profile": labels[profile]},
        filename=f"livret-accueil-{FILE_PROFILES[profile]}-{coop.slug}.pdf",
        profile=profile,
    )


def profile_of_slug(slug: str) -> str | None:
    """The profile a booklet address names ("accedants" -> "accedant"), None if none."""
    return next((p for p, s in FILE_PROFILES.items() if s == slug), None)


def booklet_page_context(*, coop, profile: str) -> dict:
    """The online welcome booklet: what the printed one says, with links instead of QR
    codes (the same texts, modules and videos; three queries for the modules)."""
    run = KitRun(coop)
    piece = booklet_piece(coop=coop, profile=profile)
    modules = []
    for module in run.modules:
        if not module.concerns(profile):
            continue
        kwargs = {"coop_slug": coop.slug, "module_slug": module.slug}
        modules.append(
            {
                "module": module,
                "url": reverse("learning:module", kwargs=kwargs),
                "videos": [
                    {
                        "video": video,
                        "url": reverse(
                            "learning:activity", kwargs={**kwargs, "position": video.position}
                        ),
                    }
                    for video in module.videos
                ],
            }
        )
    return {
        **_base_context(run),
        "piece": piece,
        "profile_plural": PROFILE_PLURALS[profile],
        "booklet_modules": modules,
        "parcours_url": reverse("learning:home", kwargs={"coop_slug": coop.slug}),
        "pdf_url": reverse(
            "kit_public:booklet-pdf",
            kwargs={"coop_slug": coop.slug, "profile_slug": FILE_PROFILES[profile]},
        ),
    }


def get_piece(*, coop, key: str, modules=None) -> Piece:
    for piece in kit_pieces(coop=coop, modules=modules):
        if piece.key == key:
            return piece
    raise Http404


# --- What a kit is printed from ---------------------------------------------------------


def kit_texts(coop) -> KitSettings:
    """The coop's kit texts (an unsaved blank row when staff never wrote any)."""
    return KitSettings.objects.filter(coop=coop).first() or KitSettings(coop=coop)


# The `piece` of the links printed on leaflets and booklets (and each booklet's videos);
# the flyer, the posters and the form use their piece key (piece_link below).
LINK_PIECE_PREFIXES = ("leaflet:", "booklet:")
FIXED_KINDS = (Kind.FLYER, Kind.POSTER, Kind.FORM)


class KitRun:
    """What one coop's pieces are printed from, read once for all of them (a whole kit
    prints a dozen pieces and thirty QR codes): the kit texts, the modules with their
    leaflets' content (one read), and at the first QR code the piece links (one query,
    then made as new pieces ask for theirs)."""

    def __init__(self, coop):
        self.coop = coop
        self.coop_id = coop.pk  # for ensure_same_coop
        self.texts = kit_texts(coop)
        self.modules, self.leaflets = learning.kit_content(coop=coop)

    @cached_property
    def _links(self) -> dict:
        fixed = [
            p.key for p in kit_pieces(coop=self.coop, modules=self.modules) if p.kind in FIXED_KINDS
        ]
        return selectors.piece_links(coop=self.coop, pieces=fixed, prefixes=LINK_PIECE_PREFIXES)

    def of(self, coop) -> "KitRun":
        """This run, checked to be `coop`'s (a piece never prints another coop's data)."""
        ensure_same_coop(coop, self)
        return self

    def link(self, *, piece: str, channel: str, label: str, **target):
        """The tracked link printed on `piece` (made at its first print, then kept)."""
        link = self._links.get(piece)
        if link is None:  # not there when the run read them all: made now
            link = self._links[piece] = links.new_piece_link(
                coop=self.coop, piece=piece, channel=channel, label=label, **target
            )
        return link


# --- Links and QR codes ------------------------------------------------------------------


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _qr(link) -> dict:
    url = links.short_url(link)
    # A PNG of one pixel per module, drawn unsmoothed (`image-rendering: pixelated`): as
    # sharp as the SVG in print, and a fifth of a kit's render time less (WeasyPrint
    # parses each SVG path; see docs/decisions/0010).
    return {
        "url": url,
        "display_html": qr.display_html(url),
        "uri": qr.png_data_uri(url, scale=1),
    }


def piece_link(*, run: KitRun, piece: Piece):
    """The tracked link a piece carries."""
    if piece.kind == Kind.LEAFLET:
        return run.link(
            piece=f"leaflet:{piece.module_slug}:{piece.position}",
            channel=Channel.FLYER,
            label=_("Leaflet: %(module)s") % {"module": piece.module_title},
            target_kind=TargetKind.MODULE,
            module_slug=piece.module_slug,
        )
    if piece.kind == Kind.BOOKLET:
        return run.link(
            piece=f"booklet:{piece.profile}", channel=Channel.BOOKLET, label=piece.title
        )
    channel = {
        Kind.FLYER: Channel.FLYER,
        Kind.POSTER: Channel.POSTER,
        Kind.FORM: Channel.OTHER,
    }[piece.kind]  # FIXED_KINDS
    return run.link(piece=piece.key, channel=channel, label=piece.title)


def video_qr(*, run: KitRun, profile: str, module, video) -> dict:
    link = run.link(
        piece=f"booklet:{profile}:{module.slug}:{video.position}",
        channel=Channel.BOOKLET,
        label=_("Welcome booklet: video “%(title)s”") % {"title": video.title},
        target_kind=TargetKind.ACTIVITY,
        module_slug=module.slug,
        activity_position=video.position,
    )
    return _qr(link)


# --- Rendering ---------------------------------------------------------------------------


def _contacts(coop) -> dict:
    return {
        "phone": coop.contact_phone.replace(" ", NBSP) if coop.contact_phone else "",
        "email": coop.contact_email,
        "address": coop.postal_address,
        "website": coop.website.split("://", 1)[-1].rstrip("/") if coop.website else "",
    }


def highlights(modules) -> list:
    """The modules a flyer or poster names: the coop's highlighted ones, else the
    recommended ones, in the coop's order."""
    chosen = [m for m in modules if m.highlighted] or [m for m in modules if m.recommended]
    return (chosen or list(modules))[:HIGHLIGHTS_MAX]


def _base_context(run: KitRun) -> dict:
    coop, texts = run.coop, run.texts
    return {
        "coop": coop,
        "coop_name": french_typography(coop.name),
        "tagline": french_typography(texts.tagline),
        "message": french_typography(texts.message),
        "welcome_text": french_typography(texts.welcome_text),
        "contacts": _contacts(coop),
        "highlights": highlights(run.modules),
    }


def piece_context(*, coop, piece: Piece, run: KitRun | None = None) -> dict:
    run = run.of(coop) if run else KitRun(coop)
    context = {
        **_base_context(run),
        "piece": piece,
        "qr": _qr(piece_link(run=run, piece=piece)),
    }
    if piece.kind == Kind.POSTER:
        context["size"] = piece.key.rsplit("-", 1)[-1]  # "a4" or "a3"
    elif piece.kind == Kind.BOOKLET:
        profile = piece.profile
        context["profile_plural"] = PROFILE_PLURALS[profile]
        context["booklet_modules"] = [
            {
                "module": module,
                "videos": [
                    {
                        "video": video,
                        "qr": video_qr(run=run, profile=profile, module=module, video=video),
                    }
                    for video in module.videos
                ],
            }
            for module in run.modules
            if module.concerns(profile)
        ]
    elif piece.kind == Kind.FORM:
        context["sessions"] = []  # the sessions issue fills it
        context["blank_rows"] = range(11)
    return context


TEMPLATES = {
    Kind.FLYER: "kit/pdf/flyer.html",
    Kind.POSTER: "kit/pdf/poster.html",
    Kind.BOOKLET: "kit/pdf/booklet.html",
    Kind.FORM: "kit/pdf/registration_form.html",
}
# Parsed once per worker and reused by every render (core.pdf.shared_stylesheet).
STYLESHEETS = {
    Kind.FLYER: ("core/pdf/print.css", "kit/pdf/_piece.css", "kit/pdf/flyer.css"),
    Kind.POSTER: ("core/pdf/print.css", "kit/pdf/_piece.css", "kit/pdf/poster.css"),
    Kind.BOOKLET: ("core/pdf/print.css", "kit/pdf/booklet.css"),
    Kind.FORM: ("core/pdf/print.css", "kit/pdf/_piece.css", "kit/pdf/registration_form.css"),
}


def stylesheets(kind: str) -> list:
    return [shared_stylesheet(name) for name in STYLESHEETS[kind]]


def piece_title(coop, piece: Piece) -> str:
    return f"{piece.title} – {coop.name}"


def render_piece(*, coop, piece: Piece, run: KitRun | None = None) -> bytes:
    """The PDF of one piece of `coop`'s kit (`run`: what a whole kit shares)."""
    run = run.of(coop) if run else KitRun(coop)
    if piece.kind == Kind.LEAFLET:
        _name, pdf = learning.leaflet_pdf(
            coop=coop,
            # Read with the others (None, if it went since: leaflet_pdf reads it or 404s).
            source=run.leaflets.get((piece.module_slug, piece.position)),
            module_slug=piece.module_slug,
            position=piece.position,
            coop_url=absolute(reverse("learning:home", kwargs={"coop_slug": coop.slug})),
            # The learning app draws the QR code: only the link's URL is needed here.
            qr_url=links.short_url(piece_link(run=run, piece=piece)),
        )
        return pdf
    return render_pdf(
        TEMPLATES[piece.kind],
        piece_context(coop=coop, piece=piece, run=run),
        title=piece_title(coop, piece),
        lang="fr",
        stylesheets=stylesheets(piece.kind),
    )
