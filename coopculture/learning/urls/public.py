"""Member-facing learning pages, under /c/<coop_slug>/parcours/ (namespace "learning")."""

app_name = "learning"

urlpatterns: list = []
