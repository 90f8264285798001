"""Emergency assistance: the caller found by phone or ID, the cover checked, the urgent case, partner dispatch times
in order, follow-ups, and who may do it."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from lifecrm.org.access import AccessDenied, NotInScope
from lifecrm.org.selectors import data_scope_for_user
from lifecrm.policies.models import Policy
from lifecrm.products.selectors import ASSISTANCE_KINDS, assistance_benefits
from lifecrm.service import rules, selectors, services
from lifecrm.service.models import CaseEvent, CaseTask, EmergencyDispatch, Interaction
from lifecrm.service.rules import DispatchStage, Priority
from tests.factories import make_policy, make_product

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
AT = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)  # 10:30 at night in Beijing: the line never closes
AS_OF = date(2026, 12, 1)


def scope(staff):
    return data_scope_for_user(staff.user)


def rider():
    return make_product("CN-HC01", name="附加住院日额津贴保险", name_en="Hospital Cash Rider", kind="hospital_rider",
                        is_rider=True)


def _open(w, actor=None, **overrides):
    values = dict(customer=w.customer_a, location="Chaoyang Park, north gate", situation="Fell, cannot stand up",
                  callback_phone="+86 139 0000 1111", at=AT)
    return services.emergency_open(actor=(actor or w.staff["callcentre"]).user, **values | overrides)


# -- the caller, by phone or ID number --------------------------------------------------------------------------

def test_the_caller_is_found_by_phone_in_any_form(service_world):
    w = service_world
    phone = w.customer_a.mobile_phone
    for typed in (phone, f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}", f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"):
        assert selectors.emergency_lookup(scope=scope(w.staff["callcentre"]), query=typed) == [w.customer_a], typed


def test_the_caller_is_found_by_id_number(service_world):
    w = service_world
    id_number = w.customer_a.id_number
    found = selectors.emergency_lookup(scope=scope(w.staff["callcentre"]), query=id_number.lower())
    assert found == [w.customer_a]


def test_another_branchs_caller_is_not_found_and_a_name_is_not_a_lookup(service_world):
    w = service_world
    assert selectors.emergency_lookup(scope=scope(w.staff["callcentre"]), query=w.customer_b.mobile_phone) == []
    assert selectors.emergency_lookup(scope=scope(w.staff["hq"]), query=w.customer_b.mobile_phone) == [w.customer_b]
    with pytest.raises(selectors.LookupNotUnderstood):
        selectors.emergency_lookup(scope=scope(w.staff["hq"]), query="王芳")


def test_the_lookup_is_one_query(service_world, django_assert_num_queries):
    w = service_world
    lookup_scope = scope(w.staff["hq"])
    with django_assert_num_queries(1):
        selectors.emergency_lookup(scope=lookup_scope, query=w.customer_a.mobile_phone)


# -- cover ------------------------------------------------------------------------------------------------------

def test_cover_shows_policies_in_force_with_their_assistance(service_world):
    w = service_world
    assisted = make_policy(owner=w.customer_a, agent=w.staff["agent"], branch=w.org.team_a, product=rider())
    plain = make_policy(owner=w.customer_a, agent=w.staff["agent"], branch=w.org.team_a)
    lines = {line.policy_id: line for line in selectors.emergency_cover(
        scope=scope(w.staff["callcentre"]), customer_id=w.customer_a.pk, as_of=AS_OF)}
    assert lines[assisted.pk].assisted and set(lines[assisted.pk].benefits) == {
        "ambulance", "hospital_referral", "medical_advice"}
    assert lines[plain.pk].in_force and not lines[plain.pk].assisted and lines[plain.pk].benefits == ()


@pytest.mark.parametrize("status", ["suspended", "lapsed", "surrendered"])
def test_a_policy_not_in_force_gives_no_assistance(service_world, status):
    w = service_world
    policy = make_policy(owner=w.customer_a, agent=w.staff["agent"], branch=w.org.team_a, product=rider())
    Policy.objects.filter(pk=policy.pk).update(status=status)
    [line] = selectors.emergency_cover(scope=scope(w.staff["hq"]), customer_id=w.customer_a.pk, as_of=AS_OF)
    assert (line.in_force, line.assisted, line.benefits) == (False, False, ())


@pytest.mark.parametrize("status", ["grace", "paid_up", "reinstated"])
def test_cover_runs_in_grace_paid_up_and_after_reinstatement(service_world, status):
    w = service_world
    policy = make_policy(owner=w.customer_a, agent=w.staff["agent"], branch=w.org.team_a, product=rider())
    Policy.objects.filter(pk=policy.pk).update(status=status)
    [line] = selectors.emergency_cover(scope=scope(w.staff["hq"]), customer_id=w.customer_a.pk, as_of=AS_OF)
    assert line.assisted


def test_cover_counts_the_insured_life_too_in_two_queries(service_world, django_assert_num_queries):
    w = service_world
    make_policy(owner=w.customer_b, insured=w.customer_a, agent=None, branch=w.org.branch_b, product=rider())
    make_policy(owner=w.customer_a, agent=w.staff["agent"], branch=w.org.team_a)
    hq = scope(w.staff["hq"])
    with django_assert_num_queries(2):
        lines = selectors.emergency_cover(scope=hq, customer_id=w.customer_a.pk, as_of=AS_OF)
    assert [line.roles for line in lines] == [("insured",), ("insured", "owner")]


def test_the_benefit_list_names_real_products_and_kinds():
    from lifecrm.products.reference_data import read_product_files

    benefits = assistance_benefits()
    assert set(benefits) <= set(read_product_files())
    assert set().union(*benefits.values()) <= ASSISTANCE_KINDS == {k.value for k in rules.PartnerKind}


# -- the emergency case ---------------------------------------------------------------------------------------

def test_an_emergency_case_is_urgent_with_its_intake_call_and_follow_up(service_world):
    w = service_world
    make_policy(owner=w.customer_a, agent=w.staff["agent"], branch=w.org.team_a, product=rider())
    cover = selectors.emergency_cover(scope=scope(w.staff["callcentre"]), customer_id=w.customer_a.pk, as_of=AS_OF)
    case = _open(w, cover=cover, category="ambulance")
    assert (case.case_type_id, case.priority, case.number[:2], case.category_id) == (
        "emergency", Priority.URGENT, "EM", "ambulance")
    assert case.emergency.covered and case.emergency.callback_phone == "+8613900001111"
    assert list(case.emergency.cover[0]["benefits"]) == ["ambulance", "hospital_referral", "medical_advice"]
    call = Interaction.objects.get(case=case)
    assert (call.channel, call.direction, call.outcome) == ("call", "in", "case_opened")
    [task] = CaseTask.objects.filter(case=case)
    assert task.due_at == AT + timedelta(hours=24) and task.assignee == w.staff["callcentre"]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"location": "  "}, "Say where the customer is."),
    ({"situation": ""}, "Say what happened."),
    ({"callback_phone": "12"}, "Give a callback number of 7 to 15 digits."),
    ({"callback_phone": "1" * 16}, "Give a callback number of 7 to 15 digits."),
])
def test_an_incomplete_intake_is_refused_and_writes_nothing(service_world, overrides, message):
    w = service_world
    with pytest.raises(services.ServiceRefused, match=message):
        _open(w, **overrides)
    assert not CaseEvent.objects.exists() and not Interaction.objects.exists()


@pytest.mark.parametrize("role", ["branch", "counter", "claims", "agent"])
def test_only_the_call_centre_and_head_office_take_emergencies(service_world, role):
    w = service_world
    with pytest.raises(AccessDenied, match="call centre and head office"):
        _open(w, actor=w.staff[role])


def test_head_office_takes_any_emergency_a_branch_call_centre_its_own(service_world):
    w = service_world
    assert _open(w, actor=w.staff["hq"], customer=w.customer_b).priority == Priority.URGENT
    with pytest.raises(NotInScope):
        _open(w, customer=w.customer_b)


# -- partner dispatch ---------------------------------------------------------------------------------------------

def test_a_dispatch_logs_its_times_in_order_as_notes(service_world):
    w = service_world
    actor = w.staff["callcentre"].user
    case = _open(w)
    now = AT + timedelta(hours=2)
    dispatch = services.dispatch_request(actor=actor, case=case, partner_kind="ambulance", partner_name="120 Beijing",
                                         requested_at=AT + timedelta(minutes=2), at=now, reference="BJ-77")
    for stage, minutes in (("confirmed", 3), ("arrived", 15), ("closed", 60)):
        services.dispatch_log(actor=actor, dispatch=dispatch, stage=stage, stamp=AT + timedelta(minutes=minutes),
                              at=now)
    dispatch.refresh_from_db()
    assert dispatch.closed_at - dispatch.requested_at == timedelta(minutes=58)
    notes = list(CaseEvent.objects.filter(case=case, kind="note").values_list("data", flat=True))
    assert [n["stage"] for n in notes] == ["requested", "confirmed", "arrived", "closed"]


def test_an_arrival_before_the_request_is_refused(service_world):
    w = service_world
    actor = w.staff["callcentre"].user
    dispatch = services.dispatch_request(actor=actor, case=_open(w), partner_kind="ambulance", partner_name="120",
                                         requested_at=AT + timedelta(minutes=10), at=AT + timedelta(hours=1))
    with pytest.raises(services.ServiceRefused, match="The arrived time cannot be before the requested time"):
        services.dispatch_log(actor=actor, dispatch=dispatch, stage="arrived", stamp=AT + timedelta(minutes=9),
                              at=AT + timedelta(hours=1))
    services.dispatch_log(actor=actor, dispatch=dispatch, stage="arrived", stamp=AT + timedelta(minutes=30),
                          at=AT + timedelta(hours=1))
    with pytest.raises(services.ServiceRefused, match="The arrived time cannot be before the confirmed time"):
        services.dispatch_log(actor=actor, dispatch=dispatch, stage="confirmed", stamp=AT + timedelta(minutes=31),
                              at=AT + timedelta(hours=1))
    with pytest.raises(services.ServiceRefused, match="already logged"):
        services.dispatch_log(actor=actor, dispatch=dispatch, stage="arrived", stamp=AT + timedelta(minutes=40),
                              at=AT + timedelta(hours=1))
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it too
        EmergencyDispatch.objects.filter(pk=dispatch.pk).update(closed_at=AT)


def test_a_dispatch_before_the_case_or_in_the_future_or_of_an_unknown_kind_is_refused(service_world):
    w = service_world
    actor, case = w.staff["callcentre"].user, _open(w)
    for overrides, message in (({"requested_at": AT - timedelta(minutes=1)}, "before the case was opened"),
                               ({"requested_at": AT + timedelta(hours=2)}, "in the future"),
                               ({"partner_kind": "taxi"}, "Choose an ambulance"),
                               ({"partner_name": " "}, "Name the partner")):
        values = dict(partner_kind="hospital_referral", partner_name="Peking Union", requested_at=AT,
                      at=AT + timedelta(hours=1)) | overrides
        with pytest.raises(services.ServiceRefused, match=message):
            services.dispatch_request(actor=actor, case=case, **values)
    assert not EmergencyDispatch.objects.exists()


def test_nothing_is_dispatched_for_a_closed_or_non_emergency_case(service_world):
    w = service_world
    actor = w.staff["callcentre"].user
    inquiry = services.case_open(actor=actor, customer=w.customer_a, case_type="inquiry", subject="Premium",
                                 channel="call", opened_at=AT)
    with pytest.raises(services.ServiceRefused, match="not an emergency case"):
        services.dispatch_request(actor=actor, case=inquiry, partner_kind="ambulance", partner_name="120",
                                  requested_at=AT, at=AT)
    case = _open(w)
    services.case_event_append(actor=actor, case=case, kind="cancelled", at=AT)
    with pytest.raises(services.ServiceRefused, match="cancelled"):
        services.dispatch_request(actor=actor, case=case, partner_kind="ambulance", partner_name="120",
                                  requested_at=AT, at=AT)


@pytest.mark.parametrize(("times", "expected"), [
    ({DispatchStage.REQUESTED: AT, DispatchStage.ARRIVED: AT}, None),  # the same minute is in order
    ({DispatchStage.REQUESTED: AT, DispatchStage.ARRIVED: AT - timedelta(seconds=1)},
     (DispatchStage.ARRIVED, DispatchStage.REQUESTED)),
    ({DispatchStage.REQUESTED: AT, DispatchStage.CONFIRMED: AT + timedelta(minutes=5),
      DispatchStage.CLOSED: AT + timedelta(minutes=4)}, (DispatchStage.CLOSED, DispatchStage.CONFIRMED)),
    ({DispatchStage.REQUESTED: AT, DispatchStage.CONFIRMED: None, DispatchStage.CLOSED: AT}, None),
])
def test_dispatch_order_rule(times, expected):
    assert rules.dispatch_order_refusal(times) == expected


# -- follow-ups -----------------------------------------------------------------------------------------------

def test_follow_ups_are_added_due_in_the_future_and_done_once(service_world):
    w = service_world
    actor, case = w.staff["hq"].user, _open(w)
    with pytest.raises(services.ServiceRefused, match="due in the past"):
        services.follow_up_add(actor=actor, case=case, title="Call the hospital", due_at=AT - timedelta(minutes=1),
                               at=AT)
    task = services.follow_up_add(actor=actor, case=case, title="Call the hospital", due_at=AT + timedelta(hours=4),
                                  at=AT)
    assert task.assignee == w.staff["hq"]
    services.follow_up_done(actor=actor, task=task, at=AT + timedelta(hours=3), outcome="Admitted, stable")
    with pytest.raises(services.ServiceRefused, match="already done"):
        services.follow_up_done(actor=actor, task=task, at=AT + timedelta(hours=5))
    assert CaseEvent.objects.filter(case=case, kind="note").get().note == "Call the hospital: Admitted, stable"
    with pytest.raises(AccessDenied):
        services.follow_up_add(actor=w.staff["claims"].user, case=case, title="x", due_at=AT + timedelta(hours=1),
                               at=AT)


# -- the pages --------------------------------------------------------------------------------------------------

def _client(staff, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(staff.user)
    return client


def test_the_intake_page_finds_the_caller_and_opens_a_case(service_world, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    w = service_world
    make_policy(owner=w.customer_a, agent=w.staff["agent"], branch=w.org.team_a, product=rider())
    client = _client(w.staff["callcentre"])
    response = client.get("/service/emergency/", {"q": w.customer_a.mobile_phone})
    assert response.status_code == 302 and response["Location"].endswith(f"?customer={w.customer_a.pk}")
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Assistance covered" in page.content.decode()
    assert client.get("/service/emergency/", {"q": "王"}).context["lookup_error"] == (
        "Type a phone number or an ID number.")
    refused = client.post("/service/emergency/", {"customer": w.customer_a.pk, "location": "", "situation": "x",
                                                  "callback_phone": "139"})
    assert refused.status_code == 400 and not CaseEvent.objects.exists()
    opened = client.post("/service/emergency/", {"customer": w.customer_a.pk, "location": "Home",
                                                 "situation": "Chest pain", "callback_phone": "13900001111"})
    case_url = opened["Location"]
    assert opened.status_code == 302 and case_url.startswith("/service/emergency/")
    sent = client.post(case_url, {"action": "dispatch", "partner_kind": "ambulance", "partner_name": "120",
                                  "requested_at": ""})
    assert sent.status_code == 302 and EmergencyDispatch.objects.count() == 1
    dispatch = EmergencyDispatch.objects.get()
    wrong = client.post(case_url, {"action": "log", "dispatch": dispatch.pk, "stage": "arrived",
                                   "stamp": (dispatch.requested_at - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})
    assert wrong.status_code == 400 and "cannot be before the requested time" in wrong.content.decode()
    assert client.get(case_url).status_code == 200


def test_the_intake_page_speaks_chinese_and_is_refused_to_other_roles(service_world, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    w = service_world
    page = _client(w.staff["hq"], "zh-hant").get("/service/emergency/", {"customer": w.customer_b.pk})
    assert page.status_code == 200 and "急難救助" in page.content.decode()
    refused = _client(w.staff["counter"]).get("/service/emergency/")
    assert refused.status_code == 403
    assert _client(w.staff["callcentre"]).get("/service/emergency/", {"customer": w.customer_b.pk}).status_code == 404

