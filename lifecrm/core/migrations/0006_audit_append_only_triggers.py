"""The audit trail is append-only in the database: triggers refuse UPDATE and DELETE (lifecrm.core.appendonly)."""
from django.db import migrations


def install(apps, schema_editor):
    from lifecrm.core import appendonly

    appendonly.install(schema_editor)


def remove(apps, schema_editor):
    from lifecrm.core import appendonly

    appendonly.remove(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_auditevent_login_actions'),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
