"""The bank file table takes its app's name: billing_bankfile → banking_bankfile, rows, indexes and the
collections' foreign keys kept (a rename, nothing copied)."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('banking', '0001_initial'),
        ('billing', '0017_bank_file_moved_to_banking'),
    ]

    operations = [
        migrations.AlterModelTable(name='bankfile', table=None),
    ]
