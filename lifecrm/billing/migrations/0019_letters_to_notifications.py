"""Copy each letter's print file (billing.Letter, keyed by its reminder) to notifications.Letter, keyed by the
message key the reminder ladder names it by (`reminders.message_key`: its PDF is `<key>.pdf`), recorded on the
reminder's day, and link it from the reminder. In batches; reversible (the print files go back to billing.Letter)."""
from django.db import migrations

BATCH = 2000


def message_key(policy_number: str, instalment: int, plan_code: str, step_code: str) -> str:
    """As `lifecrm.billing.reminders.message_key` names a step's message (a migration keeps its own copy)."""
    return f"{policy_number}-{instalment:03d}-{plan_code}-{step_code}"


def letters_to_notifications(apps, schema_editor):
    db = schema_editor.connection.alias
    Old = apps.get_model("billing", "Letter")
    New = apps.get_model("notifications", "Letter")
    Reminder = apps.get_model("billing", "Reminder")
    last = 0
    while True:
        rows = list(Old.objects.using(db).filter(reminder_id__gt=last).order_by("reminder_id").values_list(
            "reminder_id", "html", "reminder__due_item__policy__number", "reminder__due_item__instalment",
            "reminder__step__plan__code", "reminder__step__code", "reminder__done_on", "reminder__scheduled_for",
        )[:BATCH])
        if not rows:
            return
        letters = New.objects.using(db).bulk_create([
            New(key=message_key(number, instalment, plan, step), html=html, recorded_on=done_on or scheduled_for)
            for _, html, number, instalment, plan, step, done_on, scheduled_for in rows])
        if any(letter.pk is None for letter in letters):  # every supported database returns the new keys
            raise RuntimeError("the database did not return the ids of the letters inserted")
        Reminder.objects.using(db).bulk_update(
            [Reminder(pk=row[0], letter_id=letter.pk) for row, letter in zip(rows, letters, strict=True)],
            ["letter"], batch_size=BATCH)
        last = rows[-1][0]


def letters_back_to_billing(apps, schema_editor):
    db = schema_editor.connection.alias
    Old = apps.get_model("billing", "Letter")
    New = apps.get_model("notifications", "Letter")
    Reminder = apps.get_model("billing", "Reminder")
    last = 0
    while True:
        rows = list(Reminder.objects.using(db).filter(pk__gt=last, letter__isnull=False).order_by("pk")
                    .values_list("pk", "letter_id", "letter__html")[:BATCH])
        if not rows:
            return
        Old.objects.using(db).bulk_create([Old(reminder_id=pk, html=html) for pk, _, html in rows])
        Reminder.objects.using(db).filter(pk__in=[pk for pk, _, _ in rows]).update(letter=None)
        New.objects.using(db).filter(pk__in=[letter_id for _, letter_id, _ in rows]).delete()
        last = rows[-1][0]


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0018_reminder_letter'),
        ('notifications', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(letters_to_notifications, letters_back_to_billing, elidable=False),
    ]
