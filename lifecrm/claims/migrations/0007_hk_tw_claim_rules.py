"""The HK and TW claims clocks that differ from CN's (issue 17 §3): the claimant's limitation (HK 6 years, TW 2) and
TW's payment 15 days after the complete documents. A fresh database gets them from jurisdiction_rules.json after
migrating; this adds them to a database whose jurisdictions are already loaded."""
from django.db import migrations

RULES = [
    ("HK", "claim_limitation", "6", "years", True, "the day the cause of action accrues (the insured event)",
     "Limitation Ordinance (Cap. 347) s. 4(1)(a): actions founded on a contract, 6 years"),
    ("TW", "claim_limitation", "2", "years", True,
     "the day the claim can be made (the beneficiary knows of the insured event)",
     "Insurance Act Art. 65: rights under an insurance contract lapse 2 years after they can be exercised"),
    ("TW", "claim_payment_after_documents", "15", "days", False, "the receipt of the complete claim documents",
     "Insurance Act Art. 34: paid within the agreed period, or 15 days after the notice and documents when none "
     "is agreed (life model clauses: 15 days after the documents)"),
]


def add_rules(apps, schema_editor):
    Jurisdiction = apps.get_model("core", "Jurisdiction")
    JurisdictionRule = apps.get_model("core", "JurisdictionRule")
    present = set(Jurisdiction.objects.values_list("code", flat=True))
    for code, key, quantity, unit, customer_deadline, trigger, source in RULES:
        if code in present:
            JurisdictionRule.objects.get_or_create(
                jurisdiction_id=code, key=key,
                defaults={"quantity": quantity, "unit": unit, "customer_deadline": customer_deadline,
                          "trigger": trigger, "source": source})
    ReferenceDataVersion = apps.get_model("core", "ReferenceDataVersion")
    version, _ = ReferenceDataVersion.objects.get_or_create(pk=1)
    ReferenceDataVersion.objects.filter(pk=1).update(value=version.value + 1)  # cached rules are read again


def remove_rules(apps, schema_editor):
    JurisdictionRule = apps.get_model("core", "JurisdictionRule")
    for code, key, *_rest in RULES:
        JurisdictionRule.objects.filter(jurisdiction_id=code, key=key).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("claims", "0006_assessment_facts"),
        ("core", "0009_audit_maintenance_role_and_truncate"),
    ]

    operations = [migrations.RunPython(add_rules, remove_rules)]
