"""Policy loans move down to policies (issue 17, one loan ledger for servicing and billing's automatic premium
loans), table and rows kept: the loan forgets the request that granted it (policies cannot point up at
servicing; its number stays in `reference`), then servicing lets go of the model (state only). policies 0006
takes it over and 0007 renames the table."""
from django.db import migrations, models


def request_numbers(apps, schema_editor):
    PolicyLoan = apps.get_model("servicing", "PolicyLoan")
    db = schema_editor.connection.alias
    for loan in PolicyLoan.objects.using(db).select_related("request"):
        PolicyLoan.objects.using(db).filter(pk=loan.pk).update(reference=loan.request.number)


class Migration(migrations.Migration):

    dependencies = [
        ('servicing', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='policyloan',
            name='reference',
            field=models.CharField(blank=True, default='', max_length=40, verbose_name='reference'),
            preserve_default=False,
        ),
        migrations.RunPython(request_numbers, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(model_name='policyloan', name='request'),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='PolicyLoan')],
            database_operations=[],
        ),
    ]
