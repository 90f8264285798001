"""Care events' page for management: the care rules each tier receives, and what the latest runs planned and sent."""
from __future__ import annotations

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from lifecrm.org.access import staff_page
from lifecrm.org.rules import Action
from lifecrm.service.care import FESTIVAL_NAMES
from lifecrm.service.models import CARE_OCCASION_CHOICES, CareEvent
from lifecrm.service.selectors import care_event_counts, care_rules_list, last_care_runs

COUNT_DAYS = 7
# What the page calls each care step of the daily batch (its job name stays in the cell's title).
STEP_LABELS = {
    "service.care_events": _("plan the care events"),
    "service.care_send": _("send the care messages"),
}
STATUSES = [CareEvent.Status.PLANNED, CareEvent.Status.SENT, CareEvent.Status.SKIPPED, CareEvent.Status.FAILED,
            CareEvent.Status.OPEN, CareEvent.Status.DONE, CareEvent.Status.CANCELLED]


@staff_page(Action.SUPERVISE_CASES)
def care_rules(request):
    as_of = timezone.localdate()
    since = as_of - timedelta(days=COUNT_DAYS - 1)
    counts = care_event_counts(scope=request.scope, since=since, until=as_of)
    rows = [(label, [counts.get(code, {}).get(status, 0) for status in STATUSES])
            for code, label in CARE_OCCASION_CHOICES]
    order = [code for code, _label in CARE_OCCASION_CHOICES]
    language = translation.get_language() or "en"
    rules = sorted(care_rules_list(), key=lambda rule: order.index(rule.occasion))
    for rule in rules:
        rule.festival_name = FESTIVAL_NAMES.get(rule.festival, {}).get(language, rule.festival)
    runs = last_care_runs()
    for run in runs:
        run.label = STEP_LABELS.get(run.step, run.step)
    return render(request, "service/care_rules.html", {
        "rules": rules, "runs": runs, "statuses": [s.label for s in STATUSES],
        "count_rows": rows, "since": since, "as_of": as_of,
    })
