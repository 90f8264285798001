"""The automatic premium loans already made (APL bookings, not reversed) enter policies' loan ledger (issue 17:
one ledger, so servicing's quotes count them and billing's APL capacity counts servicing's loans), at the
jurisdiction's `policy_loan_interest_rate`, from the day the loan paid the premiums. Run again, it adds nothing."""
from django.db import migrations


def premium_loans(apps, schema_editor):
    Payment = apps.get_model("billing", "Payment")
    PolicyLoan = apps.get_model("policies", "PolicyLoan")
    JurisdictionRule = apps.get_model("core", "JurisdictionRule")
    db = schema_editor.connection.alias
    rates = dict(JurisdictionRule.objects.using(db).filter(key="policy_loan_interest_rate")
                 .values_list("jurisdiction_id", "quantity"))
    known = set(PolicyLoan.objects.using(db).filter(kind="apl").values_list("reference", flat=True))
    reversed_ids = set(Payment.objects.using(db).filter(reverses__isnull=False).values_list("reverses_id", flat=True))
    loans = []
    for payment in (Payment.objects.using(db).filter(method="apl", amount__gt=0).exclude(pk__in=reversed_ids)
                    .select_related("policy").order_by("pk")):
        if payment.natural_key in known:
            continue
        jurisdiction = payment.policy.jurisdiction_id
        if jurisdiction not in rates:
            raise RuntimeError(f"no policy_loan_interest_rate for {jurisdiction}: load the jurisdiction rules first")
        loans.append(PolicyLoan(policy_id=payment.policy_id, kind="apl", reference=payment.natural_key[:40],
                                principal=payment.amount, rate_percent=rates[jurisdiction],
                                taken_on=payment.received_on))
    PolicyLoan.objects.using(db).bulk_create(loans, batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0022_changed_day_indexes'),
        ('policies', '0007_loan_ledger'),
    ]

    operations = [
        migrations.RunPython(premium_loans, migrations.RunPython.noop, elidable=True),
    ]
