"""Member-facing pages reached by a signed link, under /c/<coop_slug>/mes-donnees/
(namespace "members_public")."""

app_name = "members_public"

urlpatterns: list = []
