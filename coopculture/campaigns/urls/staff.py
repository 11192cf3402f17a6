"""Campaigns back office under /gestion/<coop_slug>/envois/ (namespace "campaigns_staff")."""

from django.urls import path

from coopculture.campaigns.views import compose

app_name = "campaigns_staff"

urlpatterns = [
    path("", compose.send_list, name="send-list"),
    path("nouvelle/", compose.campaign_create, name="campaign-create"),
    path("automatismes/", compose.automation_list, name="automation-list"),
    path("automatismes/<slug:kind>/", compose.automation_edit, name="automation-edit"),
    path(
        "automatismes/<slug:kind>/apercu/",
        compose.automation_preview,
        name="automation-preview",
    ),
    path("bulletin/", compose.bulletin_page, name="bulletin"),
    path("bulletin/apercu/", compose.bulletin_preview, name="bulletin-preview"),
    path("<uuid:send_id>/", compose.send_detail, name="send-detail"),
    path("<uuid:send_id>/texte/", compose.campaign_edit, name="campaign-edit"),
    path("<uuid:send_id>/destinataires/", compose.campaign_segment, name="campaign-segment"),
    path("<uuid:send_id>/apercu/", compose.send_preview, name="send-preview"),
    path(
        "<uuid:send_id>/apercu/courriel/",
        compose.send_preview_frame,
        name="send-preview-frame",
    ),
    path("<uuid:send_id>/test/", compose.campaign_test, name="campaign-test"),
    path("<uuid:send_id>/soumettre/", compose.campaign_submit, name="campaign-submit"),
    path("<uuid:send_id>/brouillon/", compose.campaign_withdraw, name="campaign-withdraw"),
    path("<uuid:send_id>/approbation/", compose.campaign_approve, name="campaign-approve"),
    path("courriers/<uuid:batch_id>/", compose.letter_download, name="letter-download"),
]
