import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Letters' print files move to notifications.Letter (0018-0020): the link from the reminder first."""

    dependencies = [
        ('billing', '0017_bank_file_moved_to_banking'),
        ('notifications', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='reminder',
            name='letter',
            field=models.OneToOneField(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reminder', to='notifications.letter'),
        ),
    ]
