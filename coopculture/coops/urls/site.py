from django.urls import path

from coopculture.coops.views import invitations, public

urlpatterns = [
    path("", public.home, name="home"),
    path("invitation/<str:token>/", invitations.accept, name="invitation-accept"),
]
