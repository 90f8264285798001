from django.db import migrations


class Migration(migrations.Migration):
    """The print files are notifications.Letter now (0019 copied them)."""

    dependencies = [
        ('billing', '0019_letters_to_notifications'),
    ]

    operations = [
        migrations.DeleteModel(
            name='Letter',
        ),
    ]
