"""Two retention rules per jurisdiction (issue 14 §4): how long a bank file's content is kept
(`bank_file_retention`) and how long a former customer's personal data is kept after their last policy ended
(`customer_data_retention`). A fresh database gets them from jurisdiction_rules.json after migrating; this adds
them to a database whose jurisdictions are already loaded."""
from django.db import migrations

RULES = [
    ("CN", "bank_file_retention", "10", "the bank file's business date",
     "Anti-Money Laundering Law (rev. 2024, in force 2025-01-01) Art. 34: transaction records kept at least 10 "
     "years after the transaction"),
    ("HK", "bank_file_retention", "5", "the bank file's business date",
     "AMLO (Cap. 615) Sch. 2 s. 20(1)(a): records of a transaction kept at least 5 years after it is completed"),
    ("TW", "bank_file_retention", "5", "the bank file's business date",
     "Money Laundering Control Act Art. 8: transaction records kept at least 5 years"),
    ("CN", "customer_data_retention", "10", "the end of the customer's last policy",
     "Anti-Money Laundering Law (rev. 2024) Art. 34: customer identification records kept at least 10 years after "
     "the business relationship ends; PIPL Art. 47 (deletion once the purpose is met)"),
    ("HK", "customer_data_retention", "5", "the end of the customer's last policy",
     "AMLO (Cap. 615) Sch. 2 s. 20(1)(b): customer due diligence records kept at least 5 years after the business "
     "relationship ends; PDPO DPP 2(2)"),
    ("TW", "customer_data_retention", "5", "the end of the customer's last policy",
     "Money Laundering Control Act Art. 8: customer identification records kept at least 5 years after the "
     "business relationship ends; PDPA Art. 11(3)"),
]


def add_rules(apps, schema_editor):
    Jurisdiction = apps.get_model("core", "Jurisdiction")
    JurisdictionRule = apps.get_model("core", "JurisdictionRule")
    present = set(Jurisdiction.objects.values_list("code", flat=True))
    for code, key, quantity, trigger, source in RULES:
        if code in present:
            JurisdictionRule.objects.get_or_create(
                jurisdiction_id=code, key=key,
                defaults={"quantity": quantity, "unit": "years", "customer_deadline": False, "trigger": trigger,
                          "source": source})
    ReferenceDataVersion = apps.get_model("core", "ReferenceDataVersion")
    version, _ = ReferenceDataVersion.objects.get_or_create(pk=1)
    ReferenceDataVersion.objects.filter(pk=1).update(value=version.value + 1)  # cached rules are read again


def remove_rules(apps, schema_editor):
    JurisdictionRule = apps.get_model("core", "JurisdictionRule")
    JurisdictionRule.objects.filter(key__in=["bank_file_retention", "customer_data_retention"]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0006_audit_append_only_triggers'),
    ]

    operations = [
        migrations.RunPython(add_rules, remove_rules),
    ]
