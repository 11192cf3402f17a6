"""Site-wide pages of the learning path: "Mon espace" (a learner's coops and progress)."""

from django.urls import path

from coopculture.learning.views import space

urlpatterns = [
    path("mon-espace/", space.spaces, name="spaces"),
]
