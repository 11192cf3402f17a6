"""Tracked links in the back office, under /gestion/<coop_slug>/liens/.

The coop middleware has resolved the coop, checked the role and opened the scope.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coopculture.coops.views.decorators import coop_permission_required
from coopculture.core import qr
from coopculture.kit import figures as kit_figures
from coopculture.kit import landing, selectors
from coopculture.kit import links as kit_links
from coopculture.kit.forms_links import LinkForm
from coopculture.kit.models import Channel
from coopculture.learning import api as learning_api


def _print_guidance() -> list[dict]:
    """Scanning distances shown beside the downloads: the printed width is a tenth of it."""
    return [
        {"where": _("Flyer or booklet, read in the hand"), "size": qr.min_print_size_cm(20)},
        {"where": _("A4 poster, read from 1 metre"), "size": qr.min_print_size_cm(100)},
        {"where": _("A3 poster or stand, read from 2 metres"), "size": qr.min_print_size_cm(200)},
    ]


def _snippets(*, coop, url: str, link_text: str) -> list[dict]:
    """HTML to paste on the coop's own site: plain links, no script."""
    image_alt = _("Culture Coop', the MOOC of cooperative life, at %(name)s") % {"name": coop.name}
    button_style = (
        "display:inline-block;padding:12px 20px;border-radius:6px;font-weight:bold;"
        f"text-decoration:none;color:#ffffff;background:{coop.safe_colour}"
    )
    return [
        {
            "id": "text",
            "label": _("A text link"),
            "rows": 2,
            "html": str(format_html('<a href="{}">{}</a>', url, link_text)),
        },
        {
            "id": "button",
            "label": _("A button in your coop's colour"),
            "rows": 6,
            "html": str(
                format_html('<a href="{}" style="{}">{}</a>', url, button_style, link_text)
            ),
        },
        {
            "id": "image",
            "label": _("A picture (the one social networks show)"),
            "rows": 6,
            "html": str(
                format_html(
                    '<a href="{}"><img src="{}" alt="{}" width="600" height="315"></a>',
                    url,
                    landing.share_image_url(coop),
                    image_alt,
                )
            ),
        },
    ]


def _rows(coop, links):
    targets = selectors.describe_targets(coop=coop, links=links)
    return [{"link": link, "target": targets[link.pk]} for link in links]


@coop_permission_required("kit.view_links")
def link_list(request, coop_slug):
    coop = request.coop
    links = selectors.link_list(coop=coop)
    return render(
        request,
        "kit/links/list.html",
        {"rows": _rows(coop, links), "archived": False},
    )


@coop_permission_required("kit.view_links")
def link_archived_list(request, coop_slug):
    coop = request.coop
    links = selectors.link_list(coop=coop, archived=True)
    return render(
        request,
        "kit/links/list.html",
        {"rows": _rows(coop, links), "archived": True},
    )


@coop_permission_required("kit.manage_links")
def link_create_view(request, coop_slug):
    coop = request.coop
    modules = learning_api.module_targets(coop=coop)
    initial = {}
    if request.method == "GET" and request.GET.get("canal") in Channel.values:
        initial["channel"] = request.GET["canal"]
    form = LinkForm(request.POST or None, modules=modules, initial=initial)
    if request.method == "POST" and form.is_valid():
        link = kit_links.link_create(
            coop=coop,
            channel=form.cleaned_data["channel"],
            label=form.cleaned_data["label"],
            created_by=request.user,
            **form.target_fields(),
        )
        messages.success(request, _("The link is ready: share it or download its QR code."))
        return redirect("kit_links:detail", coop_slug=coop.slug, link_id=link.public_id)
    return render(request, "kit/links/form.html", {"form": form, "link": None})


@coop_permission_required("kit.manage_links")
def link_edit(request, coop_slug, link_id):
    coop = request.coop
    link = selectors.access_link(coop=coop, public_id=link_id)
    modules = learning_api.module_targets(coop=coop)
    form = LinkForm(request.POST or None, modules=modules, editing=link)
    if request.method == "POST" and form.is_valid():
        kit_links.link_update(
            coop=coop, link=link, label=form.cleaned_data["label"], **form.target_fields()
        )
        messages.success(request, _("The link is saved. Its code and QR codes do not change."))
        return redirect("kit_links:detail", coop_slug=coop.slug, link_id=link.public_id)
    return render(request, "kit/links/form.html", {"form": form, "link": link})


@coop_permission_required("kit.view_links")
def link_detail(request, coop_slug, link_id):
    coop = request.coop
    link = selectors.access_link(coop=coop, public_id=link_id)
    url = kit_links.short_url(link)
    target = selectors.describe_targets(coop=coop, links=[link])[link.pk]
    link_text = _("Follow the Culture Coop' MOOC of %(name)s") % {"name": coop.name}
    return render(
        request,
        "kit/links/detail.html",
        {
            "link": link,
            "short_url": url,
            "target": target,
            "target_url": selectors.link_target_url(link),
            "qr_data_uri": qr.svg_data_uri(url, scale=6),
            "print_guidance": _print_guidance(),
            "snippets": _snippets(coop=coop, url=url, link_text=link_text),
            "visits": selectors.link_total_visits(link),
        },
    )


@require_POST
@coop_permission_required("kit.manage_links")
def link_archive_view(request, coop_slug, link_id):
    coop = request.coop
    link = selectors.access_link(coop=coop, public_id=link_id)
    kit_links.link_archive(coop=coop, link=link)
    messages.success(
        request,
        _("The link is archived. Printed codes keep working: they lead to your MOOC page."),
    )
    return redirect("kit_links:list", coop_slug=coop.slug)


@require_POST
@coop_permission_required("kit.manage_links")
def link_restore_view(request, coop_slug, link_id):
    coop = request.coop
    link = selectors.access_link(coop=coop, public_id=link_id)
    kit_links.link_restore(coop=coop, link=link)
    messages.success(request, _("The link is active again and leads to its target."))
    return redirect("kit_links:detail", coop_slug=coop.slug, link_id=link.public_id)


def _download(content, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _qr_filename(coop, link, extension: str) -> str:
    return f"qr-{coop.slug}-{link.code}.{extension}"


@coop_permission_required("kit.view_links")
def qr_svg(request, coop_slug, link_id):
    coop = request.coop
    link = selectors.access_link(coop=coop, public_id=link_id)
    url = kit_links.short_url(link)
    return _download(
        qr.svg(url, scale=10, title=url).encode("utf-8"),
        content_type="image/svg+xml",
        filename=_qr_filename(coop, link, "svg"),
    )


@coop_permission_required("kit.view_links")
def qr_png(request, coop_slug, link_id):
    coop = request.coop
    link = selectors.access_link(coop=coop, public_id=link_id)
    # 20 px per module: about 4 cm at 300 dpi for a usual code, sharp when enlarged.
    return _download(
        qr.png(kit_links.short_url(link), scale=20),
        content_type="image/png",
        filename=_qr_filename(coop, link, "png"),
    )


@coop_permission_required("kit.view_figures")
def figures(request, coop_slug):
    coop = request.coop
    try:
        weeks = int(request.GET.get("semaines", kit_figures.DEFAULT_WEEKS))
    except ValueError:
        weeks = kit_figures.DEFAULT_WEEKS
    if weeks not in kit_figures.PERIODS:
        weeks = kit_figures.DEFAULT_WEEKS
    data = kit_figures.channel_figures(coop=coop, weeks=weeks)
    charts = [
        {
            "id": f"chart-{metric}",
            "title": title,
            "svg": kit_figures.chart_svg(
                data, metric=metric, title=title, chart_id=f"chart-{metric}"
            ),
        }
        for metric, title in (
            ("visits", _("Visits per week and channel")),
            ("started", _("Module starts per week and channel")),
            ("completed", _("Module completions per week and channel")),
        )
    ]
    return render(
        request,
        "kit/figures/figures.html",
        {
            "figures": data,
            "charts": charts,
            "weeks": weeks,
            "periods": kit_figures.PERIODS,
        },
    )
