"""Beneficiary shares become exact fractions of the whole: a percentage with two decimals could not say one third.

The old percentage p (two decimals) becomes the fraction (100·p)/10000, written in one statement on any database
(not reduced: 6000/10000 reads the same as 3/5)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("policies", "0003_exact_keys_without_like_indexes")]

    operations = [
        migrations.RemoveConstraint(model_name="beneficiary", name="share_0_100"),
        migrations.AddField(model_name="beneficiary", name="share_numerator",
                            field=models.PositiveIntegerField(default=1, verbose_name="share numerator"),
                            preserve_default=False),
        migrations.AddField(model_name="beneficiary", name="share_denominator",
                            field=models.PositiveIntegerField(default=1, verbose_name="share denominator"),
                            preserve_default=False),
        migrations.RunSQL(
            "UPDATE policies_beneficiary SET share_numerator = CAST(ROUND(share * 100) AS INTEGER), "
            "share_denominator = 10000",
            reverse_sql="UPDATE policies_beneficiary SET share = ROUND(100.0 * share_numerator / share_denominator, 2)",
        ),
        migrations.RemoveField(model_name="beneficiary", name="share"),
        migrations.AddConstraint(
            model_name="beneficiary",
            constraint=models.CheckConstraint(
                condition=models.Q(share_numerator__gt=0) & models.Q(share_numerator__lte=models.F("share_denominator")),
                name="share_of_the_whole"),
        ),
    ]
