"""The coop's adaptation of the path, under /gestion/<coop_slug>/parcours/ (namespace
"learning_staff"; CoopMiddleware guards every /gestion/ URL)."""

app_name = "learning_staff"

urlpatterns: list = []
