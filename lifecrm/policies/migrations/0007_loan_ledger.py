"""One loan ledger (issue 17): the moved table takes policies' name (a rename, rows kept), loans get their kind (a
policy loan; billing 0023 adds the automatic premium loans already made) and repayments their table."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('policies', '0006_policy_loan_from_servicing'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='policyloan',
            options={'ordering': ['policy', 'taken_on', 'id'], 'verbose_name': 'policy loan', 'verbose_name_plural': 'policy loans'},
        ),
        migrations.AddField(
            model_name='policyloan',
            name='kind',
            field=models.CharField(choices=[('policy', 'policy loan'), ('apl', 'automatic premium loan')], default='policy', max_length=8, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='policyloan',
            name='policy',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='loans', to='policies.policy'),
        ),
        migrations.AlterModelTable(
            name='policyloan',
            table=None,
        ),
        migrations.CreateModel(
            name='LoanRepayment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='amount')),
                ('paid_on', models.DateField(verbose_name='paid on')),
                ('reference', models.CharField(blank=True, max_length=40, verbose_name='reference')),
                ('recorded_at', models.DateTimeField(verbose_name='recorded at')),
                ('loan', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='repayments', to='policies.policyloan')),
            ],
            options={
                'verbose_name': 'loan repayment',
                'verbose_name_plural': 'loan repayments',
                'ordering': ['loan', 'paid_on', 'id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='loan_repayment_positive')],
            },
        ),
    ]
