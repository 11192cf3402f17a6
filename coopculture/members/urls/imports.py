"""Member imports, under /gestion/<coop_slug>/membres/import/ (namespace "members_import")."""

app_name = "members_import"

urlpatterns: list = []
