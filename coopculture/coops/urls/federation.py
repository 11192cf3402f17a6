from django.urls import path

from coopculture.coops.views import federation

app_name = "federation"

urlpatterns = [
    path("", federation.index, name="index"),
    path("coops/nouvelle/", federation.coop_create, name="coop-create"),
]
