"""Migration 0005: texts that were live before approvals existed stay what members get."""

import pytest
from django_scopes import scopes_disabled

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from coopculture.campaigns import approvals

BEFORE = [("campaigns", "0004_letter_texts_and_booklet")]
AFTER = [("campaigns", "0005_approved_texts")]


@pytest.mark.django_db(transaction=True)
def test_live_texts_and_news_are_approved_by_the_migration(coop):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    message_model = old.get_model("campaigns", "Message")
    with scopes_disabled():
        message = message_model.objects.create(
            coop_id=coop.pk, kind="automation", name="Bienvenue", subject="Bonjour {first_name}",
            preheader="", body="Texte en service.", blocks=[],
        )  # fmt: skip
        old.get_model("campaigns", "AutomationSetting").objects.create(
            coop_id=coop.pk, kind="welcome", enabled=True, message=message
        )
        news = old.get_model("campaigns", "BulletinNews").objects.create(
            coop_id=coop.pk, month="2027-03-01", title="Visite", body="Samedi."
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    from coopculture.campaigns.models import AutomationSetting, BulletinNews

    with scopes_disabled():
        setting = AutomationSetting.objects.select_related("message").get(coop=coop)
        assert not approvals.text_pending(setting)
        assert approvals.approved_message(setting).body == "Texte en service."
        migrated = BulletinNews.objects.get(pk=news.pk)
        assert not approvals.news_pending(migrated)
        assert approvals.approved_news(migrated).body == "Samedi."
