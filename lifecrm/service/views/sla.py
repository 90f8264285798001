"""The SLA pages for managers: the dashboard of open cases at risk and the attainment report over a period."""
from __future__ import annotations

from datetime import timedelta

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lifecrm.org.access import Action, staff_page
from lifecrm.service.sla_report import sla_dashboard, sla_report

MAX_DAYS = 366


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("Opened from"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Opened until"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The end of the period must not be before its start."))
            elif (end - start).days >= MAX_DAYS:
                self.add_error("end", _("A period is at most a year long."))
        return data


@staff_page(Action.SUPERVISE_CASES)
def dashboard(request):
    return render(request, "service/sla_dashboard.html", {"page": sla_dashboard(scope=request.scope,
                                                                                 at=timezone.now())})


@staff_page(Action.SUPERVISE_CASES)
def report(request):
    today = timezone.localdate()
    query = request.GET if request.GET else {"start": today - timedelta(days=29), "end": today}
    form = PeriodForm(query)
    if not form.is_valid():
        return render(request, "service/sla_report.html", {"form": form}, status=400)
    data = form.cleaned_data
    result = sla_report(scope=request.scope, start=data["start"], end=data["end"], at=timezone.now())
    groups = [(_("By case type"), _("Case type"), result.by_type, "type"),
              (_("By priority"), _("Priority"), result.by_priority, "priority"),
              (_("By branch"), _("Branch"), result.by_branch, "branch")]
    chart = result.trend | {"names": {"response": gettext("First answer on time (%)"),
                                      "resolution": gettext("Resolved on time (%)")}}
    return render(request, "service/sla_report.html", {"form": form, "report": result, "groups": groups,
                                                       "chart": chart})
