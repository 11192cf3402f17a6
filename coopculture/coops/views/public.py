"""Pages anyone can open: the platform's home.

A coop's public page (/c/<coop>/) is the kit's landing page (coopculture.kit.views.public);
"Mon espace" is learning's (coopculture.learning.views.space: it shows the learner's progress)."""

from django.shortcuts import render

from coopculture.coops.selectors import coop_list_public


def home(request):
    return render(request, "coops/home.html", {"coops": coop_list_public()})
