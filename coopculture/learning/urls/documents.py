"""PDF documents of the learning path (leaflets, attendance certificates), under
/c/<coop_slug>/parcours/documents/ (namespace "learning_documents")."""

app_name = "learning_documents"

urlpatterns: list = []
