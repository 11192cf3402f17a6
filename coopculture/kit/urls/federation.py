"""The federation's kit batches, under /federation/kit/ (namespace "kit_federation")."""

from django.urls import path

from coopculture.kit.views import federation as views

app_name = "kit_federation"

urlpatterns = [
    path("", views.batch_list, name="batches"),
    path("<uuid:batch_id>/", views.batch_detail, name="batch"),
]
