"""Satisfaction surveys' reads: a link's survey, a customer's answers (timeline), and the managers' report (CSAT,
NPS, response rate by staff member, team or branch who served), each with a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet, Sum

from lifecrm.core.prepared import prepared
from lifecrm.org.rules import DataScope
from lifecrm.org.selectors import in_scope
from lifecrm.service.models import Survey
from lifecrm.service.rules import DETRACTOR_UP_TO, PROMOTER_FROM, nps, percentage, token_digest

GROUPS = {  # group by → (the id field, the label fields)
    "staff": ("staff_id", ("staff__name", "staff__employee_no")),
    "team": ("team_id", ("team__name", "team__name_en")),
    "branch": ("branch_id", ("branch__name", "branch__name_en")),
}


def survey_for_token(token: str, at: datetime) -> tuple[str, Survey | None]:
    """("open", survey), ("answered", survey), or ("unknown", None) for a link that does not exist or has expired
    (the page says the same for both). One query."""
    survey = (Survey.objects.filter(token_hash=token_digest(token), status=Survey.Status.SENT).first()
              if token else None)
    if survey is None or survey.expires_at <= at:
        return "unknown", None
    return ("answered" if survey.answered_at is not None else "open"), survey


def surveys_in_scope(scope: DataScope) -> QuerySet[Survey]:
    """Surveys by the customer's unit and agent (what a customer's timeline shows)."""
    return in_scope(Survey.objects.all(), scope)


def served_in_scope(scope: DataScope) -> QuerySet[Survey]:
    """Surveys by who served (the reports): the serving unit's subtree, the agent's own surveys."""
    return in_scope(Survey.objects.all(), scope, path_field="served_path", agent_field="staff_id")


@prepared(values=("scope", "customer_id", "until"))
def customer_answers(*, scope: DataScope, customer_id: int, until: datetime, limit: int = 200) -> list[Survey]:
    """The customer's answered surveys up to `until`, newest first, with who served: one prepared query, of what
    the customer 360's timeline shows of them."""
    return (surveys_in_scope(scope).filter(customer_id=customer_id, answered_at__lte=until)
            .select_related("staff").only("kind", "score", "subject_label", "comment", "answered_at", "staff__name")
            .order_by("-answered_at", "-id")[:limit])


def customer_answer_count(*, scope: DataScope, customer_id: int, until: datetime) -> int:
    return surveys_in_scope(scope).filter(customer_id=customer_id, answered_at__lte=until).count()


@dataclass
class ReportRow:
    key: int | None
    label: str
    sent: int = 0
    answered: int = 0
    csat_answers: int = 0
    csat_total: int = 0
    csat_counts: list[int] = field(default_factory=lambda: [0] * 5)  # answers scoring 1…5
    nps_answers: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def response_rate(self) -> float | None:
        return percentage(self.answered, self.sent)

    @property
    def csat_average(self) -> float | None:
        return round(self.csat_total / self.csat_answers, 2) if self.csat_answers else None

    @property
    def csat_satisfied(self) -> float | None:
        """Share of CSAT answers scoring 4 or 5."""
        return percentage(self.csat_counts[3] + self.csat_counts[4], self.csat_answers)

    @property
    def nps(self) -> int | None:
        return nps(promoters=self.promoters, detractors=self.detractors, answers=self.nps_answers)


@dataclass
class SurveyReport:
    group_by: str
    rows: list[ReportRow]
    total: ReportRow
    skipped: int  # surveys not sent (asked too recently, no contact…) in the period


def _counts() -> dict:
    csat, nps_ = Q(kind=Survey.Kind.CSAT, answered_at__isnull=False), Q(kind=Survey.Kind.NPS, answered_at__isnull=False)
    counts = {
        "sent": Count("id", filter=Q(status=Survey.Status.SENT)),
        "answered": Count("id", filter=Q(answered_at__isnull=False)),
        "csat_answers": Count("id", filter=csat),
        "csat_total": Sum("score", filter=csat),
        "nps_answers": Count("id", filter=nps_),
        "promoters": Count("id", filter=nps_ & Q(score__gte=PROMOTER_FROM)),
        "detractors": Count("id", filter=nps_ & Q(score__lte=DETRACTOR_UP_TO)),
        "skipped": Count("id", filter=Q(status=Survey.Status.SKIPPED)),
    }
    counts |= {f"csat_{n}": Count("id", filter=csat & Q(score=n)) for n in range(1, 6)}
    return counts


def _row(key, label: str, values: dict) -> ReportRow:
    row = ReportRow(key, label, sent=values["sent"], answered=values["answered"],
                    csat_answers=values["csat_answers"], csat_total=values["csat_total"] or 0,
                    csat_counts=[values[f"csat_{n}"] for n in range(1, 6)], nps_answers=values["nps_answers"],
                    promoters=values["promoters"], detractors=values["detractors"])
    row.passives = row.nps_answers - row.promoters - row.detractors
    return row


def survey_report(*, scope: DataScope, start: datetime, end: datetime, group_by: str, english: bool = False,
                  unnamed: str = "—") -> SurveyReport:
    """Surveys sent in [start, end) by who served, grouped by staff member, team or branch, within the scope:
    two queries (the groups, the total)."""
    key, labels = GROUPS[group_by]
    rows = served_in_scope(scope).filter(sent_at__gte=start, sent_at__lt=end)
    grouped = rows.values(key, *labels).annotate(**_counts()).order_by(*labels, key)
    result = []
    for values in grouped:
        name, other = values[labels[0]], values[labels[1]]
        if group_by == "staff":
            label = f"{name} ({other})" if name else unnamed
        else:
            label = (other if english and other else name) or unnamed
        result.append(_row(values[key], label, values))
    totals = rows.aggregate(**_counts())
    return SurveyReport(group_by, result, _row(None, "", totals), totals["skipped"])
