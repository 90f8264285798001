# A policy whose premiums are waived still matures: policies.mature reads it through the partial index too.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('policies', '0009_merge_maturing_index'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='policy',
            name='policy_maturing_idx',
        ),
        migrations.AddIndex(
            model_name='policy',
            index=models.Index(condition=models.Q(('status__in', ('in_force', 'reinstated', 'paid_up', 'premium_waived'))), fields=['maturity_date'], name='policy_maturing_idx'),
        ),
    ]
