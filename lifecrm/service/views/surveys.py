"""Satisfaction surveys: the customer's answer page (no login, at /survey/<token>/) and the managers' report."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from lifecrm.notifications.content import LANGUAGES, company_name
from lifecrm.org.access import Action, staff_page
from lifecrm.org.logins import client_ip
from lifecrm.service.models import Survey
from lifecrm.service.rules import COMMENT_MAX_LENGTH, SCORE_RANGE, SurveyKind, csat_subject_name
from lifecrm.service.survey_selectors import survey_for_token, survey_report
from lifecrm.service.surveys import SurveyRefused
from lifecrm.service.surveys import survey_answer as record_answer

REPORT_DAYS = 90  # the report's default period: the last 90 days
THROTTLE_WINDOW = 60  # seconds: LIFECRM_SURVEY_RATE_PER_MINUTE pages an address may open in one


class AnswerForm(forms.Form):
    score = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect,
                                   error_messages={"required": _("Please choose a score.")})
    comment = forms.CharField(required=False, max_length=COMMENT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4}),
                              label=_("Anything you would like to tell us? (optional)"),
                              error_messages={"max_length": _("Please keep the comment under %(limit_value)d "
                                                              "characters.")})

    def __init__(self, *args, kind: SurveyKind, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        low, high = SCORE_RANGE[kind]
        self.fields["score"].choices = [(n, str(n)) for n in range(low, high + 1)]
        self.fields["score"].error_messages["invalid_choice"] = _("Please choose a score.")


def _page(request, state: str, survey: Survey | None, form=None, status: int = 200):
    language = survey.language if survey is not None else translation.get_language()
    if language not in LANGUAGES:
        language = "zh-hant"
    with translation.override(language):
        response = render(request, "service/survey_answer.html", {
            "state": state, "survey": survey, "form": form, "language": language, "company": company_name(language),
            "csat": survey is not None and survey.kind == SurveyKind.CSAT,
            "about": csat_subject_name(survey.subject_kind) if survey is not None else ""}, status=status)
        response["Content-Language"] = language
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "same-origin"  # the token is in the address: never pass it to another site
    return response


def _throttled(request, now) -> bool:
    """One more page for the client's address in this minute: over LIFECRM_SURVEY_RATE_PER_MINUTE? (A fixed
    window counted in the cache, as DRF's throttles of the API are.)"""
    limit = settings.LIFECRM_SURVEY_RATE_PER_MINUTE
    if not limit:
        return False
    key = f"lifecrm:survey-rate:{client_ip(request)}:{int(now.timestamp()) // 60}"
    cache.add(key, 0, timeout=THROTTLE_WINDOW * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted meanwhile
        cache.set(key, 1, timeout=THROTTLE_WINDOW * 2)
        count = 1
    return count > limit


@never_cache
@csrf_protect
def survey_answer(request, token: str):
    """The survey's page in the customer's language. An unknown or expired link gets the same page (404), whatever
    it was; a used one says so (409 to a second answer); nothing is written then. An address opening too many
    pages a minute is refused (429) before any token is looked up."""
    now = timezone.now()
    if _throttled(request, now):
        response = _page(request, "throttled", None, status=429)
        response["Retry-After"] = str(THROTTLE_WINDOW)
        return response
    state, survey = survey_for_token(token, now)
    if state == "unknown":
        return _page(request, "unknown", None, status=404)
    if state == "answered":
        return _page(request, "answered", survey, status=409 if request.method == "POST" else 200)
    kind = SurveyKind(survey.kind)
    if request.method != "POST":
        return _page(request, "open", survey, AnswerForm(kind=kind))
    with translation.override(survey.language):
        form = AnswerForm(request.POST, kind=kind)
        valid = form.is_valid()
    if not valid:
        return _page(request, "open", survey, form, status=400)
    try:
        record_answer(token=token, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"], at=now)
    except SurveyRefused as refused:
        if refused.reason == "answered":
            return _page(request, "answered", survey, status=409)
        return _page(request, "unknown", None, status=404)
    return _page(request, "thanks", survey)


class ReportForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    group_by = forms.ChoiceField(label=_("By"), choices=[("staff", _("staff member")), ("team", _("team")),
                                                         ("branch", _("branch"))])

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period must not end before it starts."))
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 366 * 3:
            raise forms.ValidationError(_("Choose a period of at most three years."))
        return data


def _bounds(start, end) -> tuple[datetime, datetime]:
    return (timezone.make_aware(datetime.combine(start, time.min)),
            timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)))


@staff_page(Action.SUPERVISE_CASES)
def survey_report_page(request):
    today = timezone.localdate()
    initial = {"start": today - timedelta(days=REPORT_DAYS - 1), "end": today, "group_by": "staff"}
    form = ReportForm(request.GET or initial)
    if not form.is_valid():
        return render(request, "service/survey_report.html", {"form": form}, status=400)
    data = form.cleaned_data
    start, end = _bounds(data["start"], data["end"])
    report = survey_report(scope=request.scope, start=start, end=end, group_by=data["group_by"],
                           english=translation.get_language() == "en")
    chart = {
        "labels": [row.label for row in report.rows],
        "csat": [row.csat_average for row in report.rows],
        "nps": [row.nps for row in report.rows],
        "distribution": report.total.csat_counts,
    }
    return render(request, "service/survey_report.html", {"form": form, "report": report, "chart": chart,
                                                          "start": data["start"], "end": data["end"]})
