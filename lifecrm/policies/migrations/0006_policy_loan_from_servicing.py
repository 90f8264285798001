"""The policy loan table comes from servicing, data and all (servicing 0002 let go of it): state only here, the
table `servicing_policyloan` as it is; the content type follows the model. 0007 renames the table and makes it
the one loan ledger (kinds, repayments)."""
import django.db.models.deletion
from django.db import migrations, models


def content_type_to(app_label: str, from_label: str):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        if ContentType.objects.using(db).filter(app_label=app_label, model="policyloan").exists():
            return
        ContentType.objects.using(db).filter(app_label=from_label, model="policyloan").update(app_label=app_label)

    return move


class Migration(migrations.Migration):

    dependencies = [
        ('policies', '0005_changed_day_indexes'),
        ('servicing', '0002_policy_loan_to_policies'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='PolicyLoan',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reference', models.CharField(blank=True, max_length=40, verbose_name='reference')),
                        ('principal', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='principal')),
                        ('rate_percent', models.DecimalField(decimal_places=2, max_digits=5, verbose_name='interest rate (% a year)')),
                        ('taken_on', models.DateField(verbose_name='taken on')),
                        ('settled_on', models.DateField(blank=True, null=True, verbose_name='settled on')),
                        ('policy', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='policies.policy')),
                    ],
                    options={
                        'verbose_name': 'policy loan',
                        'verbose_name_plural': 'policy loans',
                        'ordering': ['policy', 'taken_on'],
                        'db_table': 'servicing_policyloan',
                        'constraints': [models.CheckConstraint(condition=models.Q(('principal__gt', 0)), name='loan_principal_positive')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to("policies", "servicing"), content_type_to("servicing", "policies"),
                             elidable=True),
    ]
