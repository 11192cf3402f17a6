"""Pages anyone can open: the platform's home and "my spaces".

A coop's public page (/c/<coop>/) is the kit's landing page (coopculture.kit.views.public)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from coopculture.coops.selectors import coop_list_for_user, coop_list_public


def home(request):
    return render(request, "coops/home.html", {"coops": coop_list_public()})


@login_required
def spaces(request):
    return render(
        request,
        "coops/spaces.html",
        {"staff_coops": coop_list_for_user(user=request.user), "coops": coop_list_public()},
    )
