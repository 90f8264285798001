"""The bank file table moves from billing to banking, data and all (issue 17 §1).

This migration only tells Django that the model is now banking's: the table `billing_bankfile` stays as it is
(state only), billing's 0017 points its collections at it and forgets its own model, and 0002 renames the table.
The content type follows the model, so that anything keyed by it keeps its rows.
"""
import lifecrm.core.fields
from django.db import migrations, models


def content_type_to(app_label: str, from_label: str):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        if ContentType.objects.using(db).filter(app_label=app_label, model="bankfile").exists():
            return
        ContentType.objects.using(db).filter(app_label=from_label, model="bankfile").update(app_label=app_label)

    return move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('billing', '0016_ledger_difference'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='BankFile',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('direction', models.CharField(choices=[('out', 'sent to the bank'), ('in', 'received from the bank')], max_length=3, verbose_name='direction')),
                        ('format', models.CharField(choices=[('pain.008', 'ISO 20022 pain.008 direct-debit collection'), ('pain.002', 'ISO 20022 pain.002 payment status report'), ('camt.054', 'ISO 20022 camt.054 debit/credit notification'), ('csv', 'bank CSV result file')], max_length=10, verbose_name='format')),
                        ('sha256', models.CharField(max_length=64, unique=True, verbose_name='content hash')),
                        ('filename', models.CharField(max_length=200, verbose_name='file name')),
                        ('message_id', models.CharField(blank=True, max_length=35, verbose_name='message id')),
                        ('as_of', models.DateField(verbose_name='business date')),
                        ('created_at', models.DateTimeField(verbose_name='recorded at')),
                        ('line_count', models.PositiveIntegerField(default=0, verbose_name='lines')),
                        ('total_amount', models.DecimalField(decimal_places=2, default=0, max_digits=18, verbose_name='total')),
                        ('content', lifecrm.core.fields.EncryptedBinaryField(verbose_name='content')),
                        ('content_purged_on', models.DateField(blank=True, null=True, verbose_name='content purged on')),
                    ],
                    options={
                        'verbose_name': 'bank file',
                        'verbose_name_plural': 'bank files',
                        'ordering': ['-created_at', '-id'],
                        'db_table': 'billing_bankfile',
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to("banking", "billing"), content_type_to("billing", "banking"), elidable=True),
    ]
