"""A request executed or rejected is announced after the commit (`core.registries.served_closed_announce`), and the
service desk's listener sends its CSAT survey, within its per-customer rate limit; servicing and the service desk
never import each other."""
from __future__ import annotations

import pytest

from lifecrm.core.registries import ServedClosed, served_closed_listeners
from lifecrm.notifications.models import OutboxMessage
from lifecrm.service.models import Survey
from lifecrm.servicing import services
from lifecrm.servicing.tests.conftest import AS_OF
from lifecrm.servicing.tests.test_services import complete, create

pytestmark = pytest.mark.django_db


def test_the_service_desk_listens():
    assert "service.csat" in served_closed_listeners()


def test_an_executed_request_gets_its_csat_once_credited_to_who_executed_it(world, django_capture_on_commit_callbacks):
    request = complete(world, create(world), AS_OF)
    with django_capture_on_commit_callbacks(execute=True):
        request = services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
    survey = Survey.objects.get()
    assert (survey.kind, survey.subject_kind, survey.subject_id, survey.subject_label) == (
        "csat", "servicing.request", request.pk, request.number)
    assert survey.status == Survey.Status.SENT and survey.staff == world.staff["counter"]
    assert survey.branch == world.org.branch_a
    message = OutboxMessage.objects.get(key=f"survey-csat-servicing.request-{request.pk}")
    assert "保全申" in message.body and "案件" not in message.body  # a request, not a case (保全申請 / 保全申请)


def test_a_rejection_is_surveyed_but_the_rate_limit_holds(world, django_capture_on_commit_callbacks):
    first = create(world)
    second = create(world, kind="premium_mode_change", payload={"premium_mode": "annual"})
    with django_capture_on_commit_callbacks(execute=True):
        services.request_reject(actor=world.staff["counter"], request=first, reason="签名不符", on=AS_OF,
                                as_of=AS_OF)
        services.request_reject(actor=world.staff["branch"], request=second, reason="签名不符", on=AS_OF,
                                as_of=AS_OF)
    sent, skipped = Survey.objects.order_by("pk")
    assert (sent.subject_id, sent.status) == (first.pk, Survey.Status.SENT)
    assert (skipped.subject_id, skipped.status, skipped.skip_reason) == (second.pk, Survey.Status.SKIPPED,
                                                                          Survey.Skip.TOO_SOON)


def test_a_withdrawn_or_rolled_back_request_is_not_surveyed(world, django_capture_on_commit_callbacks, monkeypatch):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.request_cancel(actor=world.staff["counter"], request=create(world), reason="", on=AS_OF,
                                as_of=AS_OF)
    assert not callbacks and not Survey.objects.exists()
    request = complete(world, create(world), AS_OF)

    def fails(request):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "_save", fails)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
    assert not Survey.objects.exists()


def test_a_failing_listener_neither_undoes_the_closing_nor_stops_the_others(world, monkeypatch,
                                                                            django_capture_on_commit_callbacks):
    from lifecrm.core import registries

    heard: list[ServedClosed] = []

    def broken(event):
        raise RuntimeError("listener down")

    listeners = {"a.broken": broken, "b.heard": heard.append}
    monkeypatch.setattr(registries, "_served_closed_listeners", listeners)
    request = complete(world, create(world), AS_OF)
    with django_capture_on_commit_callbacks(execute=True):
        request = services.request_execute(actor=world.staff["counter"], request=request, as_of=AS_OF)
    assert request.status == "executed"
    [event] = heard
    assert (event.kind, event.id, event.customer, event.unit) == ("servicing.request", request.pk, world.owner,
                                                                 world.org.team_a)
