"""The VIP reminder ladder serves the value engine's diamond tier (parties.CustomerSegment); it named a tier
"vip" no customer was ever placed in."""
from django.db import migrations


def forwards(apps, schema_editor):
    apps.get_model("billing", "DunningPlan").objects.filter(code="cn-vip", tier="vip").update(tier="diamond")


def backwards(apps, schema_editor):
    apps.get_model("billing", "DunningPlan").objects.filter(code="cn-vip", tier="diamond").update(tier="vip")


class Migration(migrations.Migration):
    dependencies = [("billing", "0016_ledger_difference")]
    operations = [migrations.RunPython(forwards, backwards)]
