"""PDF documents of the learning path (leaflets, attendance certificates), under
/c/<coop_slug>/parcours/documents/ (namespace "learning_documents")."""

from django.urls import path

from coopculture.learning.views import documents

app_name = "learning_documents"

urlpatterns = [
    path(
        "<slug:module_slug>/plaquette-<int:position>.pdf",
        documents.leaflet,
        name="leaflet",
    ),
    path("attestation/", documents.certificate_parcours, name="certificate-parcours"),
    path(
        "<slug:module_slug>/attestation/",
        documents.certificate_module,
        name="certificate-module",
    ),
]
