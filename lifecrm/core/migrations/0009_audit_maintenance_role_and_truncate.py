"""The audit trail's maintenance path needs the maintenance role, not only the session flag any session may set,
and TRUNCATE is refused by a statement trigger (lifecrm.core.appendonly). Installing again is idempotent."""
from django.db import migrations


def reinstall(apps, schema_editor):
    from lifecrm.core import appendonly

    appendonly.remove(schema_editor)
    appendonly.install(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0008_audit_system_actor'),
    ]

    operations = [
        migrations.RunPython(reinstall, migrations.RunPython.noop),
    ]
