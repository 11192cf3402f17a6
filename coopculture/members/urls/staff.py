"""Members and programmes back office, under /gestion/<coop_slug>/ (namespace "members_staff")."""

app_name = "members_staff"

urlpatterns: list = []
