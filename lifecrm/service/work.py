"""The service desk's work sources for each role's home page: the open cases that are the actor's to work (each
links to its case page), and the care tasks (calls, visits, gifts) for them or their queue."""
from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from lifecrm.core.registries import WorkItem, register_work_count, register_work_source
from lifecrm.org.rules import Action, allows
from lifecrm.service.selectors import (
    care_task_count_for,
    care_tasks_for,
    open_work_case_count,
    open_work_cases,
)

SOURCE = "service.cases"


def _type_name(case_type) -> str:
    english = (translation.get_language() or "").startswith("en")
    return case_type.name_en if english and case_type.name_en else case_type.name


@register_work_source(SOURCE)
def case_work(*, scope, staff, as_of: date, at: datetime, limit: int, overdue: bool = False) -> list[WorkItem]:
    items = []
    for case in open_work_cases(scope=scope, staff_id=staff.pk if staff else None, at=at, limit=limit,
                                overdue=overdue):
        holder = case.assignee.name if case.assignee else _("nobody yet")
        items.append(WorkItem(
            kind="case", title=f"{case.number} · {case.subject}",
            detail=" · ".join((_type_name(case.case_type), str(case.get_status_display()),
                               _("handler: %(name)s") % {"name": holder})),
            url=reverse("service:case", args=[case.pk]), deadline=case.resolution_due,
            priority=case.priority, customer_name=case.customer.name, customer_number=case.customer.number,
            source=SOURCE))
    return items


@register_work_count(SOURCE)
def case_work_count(*, scope, staff, as_of: date, at: datetime, overdue: bool = False) -> int:
    return open_work_case_count(scope=scope, staff_id=staff.pk if staff else None, at=at, overdue=overdue)


CARE_SOURCE = "service.care"


@register_work_source(CARE_SOURCE)
def care_work(*, scope, staff, as_of: date, at: datetime, limit: int, overdue: bool = False) -> list[WorkItem]:
    """Care tasks are courtesies on their day, never overdue work; for the roles that do them (service.work_care_tasks)."""
    if overdue or not allows(scope, Action.WORK_CARE_TASKS):
        return []
    return [WorkItem(kind="care", title=f"{event.get_occasion_display()} · {event.get_action_display()}",
                     detail=event.detail, url=reverse("workbench:customer", args=[event.customer_id]),
                     deadline=event.occasion_date, priority=3, customer_name=event.customer.name,
                     customer_number=event.customer.number, source=CARE_SOURCE)
            for event in care_tasks_for(scope, staff, as_of, limit=limit)]


@register_work_count(CARE_SOURCE)
def care_work_count(*, scope, staff, as_of: date, at: datetime, overdue: bool = False) -> int:
    return 0 if overdue or not allows(scope, Action.WORK_CARE_TASKS) else care_task_count_for(scope, staff, as_of)

