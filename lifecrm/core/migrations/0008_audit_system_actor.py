"""The audit's system actor (core.actors.system: "run-daily", "bank-import"…). SQLite adds the column by remaking
the table, which drops its append-only triggers: they are installed again after it (idempotent on PostgreSQL)."""
from django.db import migrations, models


def remove(apps, schema_editor):
    from lifecrm.core import appendonly

    appendonly.remove(schema_editor)


def reinstall(apps, schema_editor):
    from lifecrm.core import appendonly

    appendonly.remove(schema_editor)
    appendonly.install(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0007_personal_data_retention_rules'),
    ]

    operations = [
        migrations.RunPython(remove, migrations.RunPython.noop),
        migrations.AddField(
            model_name='auditevent',
            name='system_actor',
            field=models.CharField(blank=True, default='', max_length=40, verbose_name='system actor'),
        ),
        migrations.RunPython(reinstall, migrations.RunPython.noop),
    ]
