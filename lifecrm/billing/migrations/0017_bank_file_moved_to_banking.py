"""BankFile is banking's now (banking 0001): collections point at it there; the table and its rows stay."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0016_ledger_difference'),
        ('banking', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='collection',
                    name='export_file',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='collections', to='banking.bankfile'),
                ),
                migrations.AlterField(
                    model_name='collection',
                    name='result_file',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='results', to='banking.bankfile'),
                ),
                migrations.DeleteModel(name='BankFile'),
            ],
            database_operations=[],
        ),
    ]
