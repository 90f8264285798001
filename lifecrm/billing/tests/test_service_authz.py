"""Every write service checks its actor, not only the page or API in front of it: the role's grant and the object's
data scope, deny by default (no actor is refused), and nothing half-written when it refuses. System callers are
explicit (`core.actors.system`) and named in the audit trail.

One row per service: the role allowed (in scope), a role without the grant (`AccessDenied`), and a role with
the grant whose scope does not hold the object (`NotInScope`)."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from lifecrm.banking.models import BankFile
from lifecrm.billing import services
from lifecrm.billing.debits.imports import bank_file_import
from lifecrm.billing.models import Payment, ReinstatementApplication
from lifecrm.billing.tests.test_views_world import AS_OF, business_date_fixture, outbox_fixture, world_fixture  # noqa: F401
from lifecrm.core.actors import SYSTEM, system
from lifecrm.core.calendar_files import parse_calendar_file
from lifecrm.core.models import AuditEvent, CalendarDay, CalendarYear
from lifecrm.core.services import calendar_year_load
from lifecrm.core.tests.test_calendar_years import CN_2027
from lifecrm.org.access import AccessDenied, NotInScope
from lifecrm.org.logins import login_unlock
from lifecrm.org.models import OrgUnit, Staff
from lifecrm.org.services import admin_site_access_set, org_unit_create, org_unit_move, staff_create
from lifecrm.parties.models import Consent, Customer, Relationship
from lifecrm.parties.services import consent_record, customer_create, relationship_add
from lifecrm.policies import services as policy_services
from lifecrm.policies.models import Policy, PolicyEvent, PolicyVersion
from tests.factories import make_customer, make_product, make_staff, prc_id

TABLES = (BankFile, Payment, AuditEvent, PolicyEvent, PolicyVersion, Policy, Customer, Consent, Relationship,
          ReinstatementApplication, OrgUnit, Staff)


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in TABLES}


def _paid(policy) -> Payment:
    """Money in suspense on the policy (more than owed), booked once by the system."""
    payment = Payment.objects.filter(natural_key=f"authz-{policy.pk}").first()
    return payment or services.payment_record(actor=SYSTEM, policy_id=policy.pk, amount=Decimal("500.00"),
                                              method="cash", received_on=AS_OF, natural_key=f"authz-{policy.pk}",
                                              as_of=AS_OF)


def _application(policy) -> ReinstatementApplication:
    application = ReinstatementApplication.objects.filter(policy=policy).first()
    return application or ReinstatementApplication.objects.create(policy=policy, received_on=AS_OF,
                                                                  health_declaration="in good health")


def prepare(name: str, policy) -> None:
    """What a service works on, made before the rows are counted."""
    if name in ("suspense_refund", "payment_reverse"):
        _paid(policy)
    if name == "reinstatement_decide":
        _application(policy)
    if name == "relationship_add":
        _relative(policy)


def _relative(policy) -> Customer:
    return Customer.objects.filter(name="钱七").first() or make_customer(branch=policy.branch, name="钱七")


def pay(world, actor, policy):
    return services.payment_record(actor=actor, policy_id=policy.pk, amount=Decimal("120.50"), method="cash",
                                   received_on=AS_OF, natural_key=f"slip-{policy.pk}-{id(actor)}", as_of=AS_OF)


def refund(world, actor, policy):
    _paid(policy)
    return services.suspense_refund(actor=actor, policy_id=policy.pk, amount=Decimal("10.00"), method="cash",
                                    reference=f"R{policy.pk}", reason="overpaid", as_of=AS_OF)


def reverse(world, actor, policy):
    return services.payment_reverse(actor=actor, payment_id=_paid(policy).pk, reason="cheque bounced", as_of=AS_OF)


def apply_reinstatement(world, actor, policy):
    Policy.objects.filter(pk=policy.pk).update(status="suspended", status_date=AS_OF)
    return services.reinstatement_apply(actor=actor, policy_id=policy.pk, received_on=AS_OF,
                                        health_declaration="in good health", as_of=AS_OF)


def decide_reinstatement(world, actor, policy):
    return services.reinstatement_decide(actor=actor, application_id=_application(policy).pk, approve=False,
                                         decided_on=AS_OF, as_of=AS_OF, reason="health")


def transition(world, actor, policy):
    return policy_services.policy_transition(actor=actor, policy_id=policy.pk, to_status="surrendered",
                                             effective_date=AS_OF, as_of=AS_OF)


def transitions(world, actor, policy):
    return policy_services.policies_transition(actor=actor, as_of=AS_OF, changes=[
        policy_services.Transition(policy.pk, "surrendered", AS_OF)])


def new_version(world, actor, policy):
    return policy_services.policy_new_version(actor=actor, policy_id=policy.pk, effective_from=AS_OF, as_of=AS_OF,
                                              changes={"apl_opt_in": True}, reason="owner's request")


def create_policy(world, actor, policy):
    return policy_services.policy_create(
        actor=actor, as_of=AS_OF, number=f"PN{policy.pk}{id(actor) % 1000}", product=make_product(),
        owner=policy.owner, insured=policy.owner, payer=policy.owner, agent=None, branch=policy.branch,
        channel="agency", application_date=AS_OF, issue_date=AS_OF, term_years=20, premium_term_years=20,
        sum_assured=Decimal("100000"), premium_mode="monthly", modal_premium=Decimal("50"),
        annual_premium=Decimal("550"), payment_method="cash")


def create_customer(world, actor, policy):
    return customer_create(actor=actor, number=f"CN{policy.pk}{id(actor) % 1000}", name="赵六",
                           id_type="prc_id", id_number=prc_id(date(1990, 1, 2), "M"), birth_date=date(1990, 1, 2),
                           sex="M", branch=policy.branch, created_at=datetime(2026, 10, 10, tzinfo=UTC))


def consent(world, actor, policy):
    return consent_record(actor=actor, customer=policy.owner, purpose="marketing", granted=True,
                          at=datetime(2026, 10, 10, tzinfo=UTC), source="counter")


def relate(world, actor, policy):
    return relationship_add(actor=actor, from_customer=_relative(policy), to_customer=policy.owner, kind="spouse")


def import_file(world, actor, policy):
    """A camt.054 notification of money that is none of our debits: imported, nothing matched."""
    content = (Path(__file__).parent / "data" / "camt054_credit.xml").read_text(encoding="utf-8")
    return bank_file_import(content=content.replace("$paid", "NOTPROVIDED").encode(), filename="camt.xml",
                            as_of=AS_OF, actor=actor)


def create_unit(world, actor, policy):
    return org_unit_create(actor=actor, code=f"N{id(actor) % 10000}", name="新组", kind="team",
                           parent=world.org.branch_a)


def create_staff(world, actor, policy):
    return staff_create(actor=actor, employee_no=f"N{id(actor) % 100000}", name="新人", role="counter",
                        org_unit=world.org.branch_a)


def move_unit(world, actor, policy):
    return org_unit_move(actor=actor, unit=world.org.team_a, new_parent=world.org.branch_b, as_of=AS_OF)


# service → (allowed role, a role without the grant, a role with the grant but not this object's scope or None);
# the object is policy_a (team A, the agent's book) unless the role is out of scope by design.
SERVICES = {
    "payment_record": (pay, "counter", "callcentre", "branch_b"),
    "suspense_refund": (refund, "branch", "counter", "branch_b"),
    "payment_reverse": (reverse, "branch", "counter", "branch_b"),
    "reinstatement_apply": (apply_reinstatement, "counter", "callcentre", "branch_b"),
    "reinstatement_decide": (decide_reinstatement, "branch", "counter", "branch_b"),
    "policy_transition": (transition, "branch", "counter", "branch_b"),
    "policies_transition": (transitions, "branch", "counter", "branch_b"),
    "policy_new_version": (new_version, "branch", "agent", "branch_b"),
    "policy_create": (create_policy, "branch", "claims", "branch_b"),
    "customer_create": (create_customer, "counter", "callcentre", "branch_b"),
    "consent_record": (consent, "counter", "agent", "branch_b"),
    "relationship_add": (relate, "branch", "claims", "branch_b"),
    "bank_file_import": (import_file, "hq", "branch", None),  # a branch manager may not: the whole company's file
    "org_unit_create": (create_unit, "hq", "branch", None),
    "staff_create": (create_staff, "hq", "branch", None),
    "org_unit_move": (move_unit, "hq", "branch", None),
}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_the_role_with_the_grant_in_scope_may(world, name):
    call, allowed, _denied, _outside = SERVICES[name]
    prepare(name, world.policy_a)
    before = counts()
    call(world, world.staff[allowed].user, world.policy_a)
    assert counts() != before, f"{name} wrote nothing"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_a_role_without_the_grant_is_refused_and_nothing_is_written(world, name):
    call, _allowed, denied, _outside = SERVICES[name]
    prepare(name, world.policy_a)
    state = counts()
    with pytest.raises(AccessDenied):
        call(world, world.staff[denied].user, world.policy_a)
    assert counts() == state


@pytest.mark.parametrize("name", sorted(n for n, row in SERVICES.items() if row[3]))
def test_an_object_outside_the_scope_does_not_exist_for_the_actor(world, name):
    call, _allowed, _denied, outside = SERVICES[name]
    prepare(name, world.policy_a)
    state = counts()
    with pytest.raises(NotInScope):
        call(world, world.staff[outside].user, world.policy_a)
    assert counts() == state


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_actor_is_refused(world, name):
    call = SERVICES[name][0]
    prepare(name, world.policy_a)
    state = counts()
    with pytest.raises(AccessDenied):
        call(world, None, world.policy_a)
    assert counts() == state


def test_a_staff_record_acts_as_its_login_and_an_inactive_one_may_nothing(world):
    counter = world.staff["counter"]
    payment = pay(world, counter, world.policy_a)
    assert AuditEvent.objects.filter(object_type="billing.payment", object_id=str(payment.pk),
                                     actor=counter.user).exists()
    Staff.objects.filter(pk=counter.pk).update(is_active=False)
    counter.refresh_from_db()
    with pytest.raises(AccessDenied):
        services.payment_record(actor=counter, policy_id=world.policy_a.pk, amount=Decimal("1.00"), method="cash",
                                received_on=AS_OF, natural_key="slip-inactive", as_of=AS_OF)


def test_a_system_caller_is_named_in_the_audit_trail(world):
    payment = services.payment_record(actor=system("bank-import"), policy_id=world.policy_b.pk,
                                      amount=Decimal("120.50"), method="bank_transfer", received_on=AS_OF,
                                      natural_key="system-1", as_of=AS_OF)
    event = AuditEvent.objects.get(object_type="billing.payment", object_id=str(payment.pk))
    assert event.actor is None and event.system_actor == "bank-import"
    # the grace the payment settled is journalled on the policy by the same program, not by "anyone"
    assert AuditEvent.objects.filter(object_type="policies.policy", object_id=str(world.policy_b.pk),
                                     system_actor="bank-import").exists()


def test_a_counter_payment_moves_the_policy_without_the_grant_to_change_policies(world):
    """The counter may not change policies, but the payment it books takes the policy out of grace: the payment
    service passes its checked actor on (`on_behalf`), and the journal names the clerk."""
    counter = world.staff["counter"].user
    pay(world, counter, world.policy_a)
    world.policy_a.refresh_from_db()
    assert world.policy_a.status == "in_force"
    assert PolicyEvent.objects.filter(policy=world.policy_a, to_status="in_force", actor=counter).exists()


# -- services that only their page or command guarded (issue 14 §3): logins, the admin site, calendars -----------

def _locked(username: str) -> None:
    AccessAttempt.objects.get_or_create(username=username, ip_address="10.0.0.1", user_agent="test", defaults={
        "http_accept": "*/*", "path_info": "/login/", "get_data": "", "post_data": "", "failures_since_start": 5})


def unlock(world, actor):
    _locked("locked-clerk")
    return login_unlock(actor=actor, kind="account", value="locked-clerk")


def grant_admin_site(world, actor):
    return admin_site_access_set(actor=actor, user=world.staff["counter"].user, role="hq")


def load_calendar(world, actor):
    return calendar_year_load(actor=actor, data=parse_calendar_file(json.dumps(CN_2027, ensure_ascii=False)))


def _admin(world):
    return make_staff("admin", world.org.hq, name="管理员")


def _hq_with_reference_data(world):
    """HQ service management as demo-setup makes it: the admin site's reference data, calendars among them."""
    hq = world.staff["hq"]
    admin_site_access_set(actor=SYSTEM, user=hq.user, role="hq")
    return hq


# service → (call, who may (a staff record), who may not, the refusal); who may not holds no grant for it.
GUARDED_BY_THE_SERVICE = {
    "login_unlock": (unlock, lambda w: w.staff["hq"], lambda w: w.staff["branch"], AccessDenied),
    "admin_site_access_set": (grant_admin_site, _admin, lambda w: w.staff["hq"], AccessDenied),
    "calendar_year_load": (load_calendar, _hq_with_reference_data, lambda w: w.staff["branch"], PermissionDenied),
}
ADMIN_TABLES = (AccessAttempt, AuditEvent, CalendarYear, CalendarDay, get_user_model().user_permissions.through)


def admin_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in ADMIN_TABLES}


@pytest.mark.parametrize("name", sorted(GUARDED_BY_THE_SERVICE))
def test_the_service_itself_refuses_a_person_without_the_grant(world, name):
    call, _may, may_not, refusal = GUARDED_BY_THE_SERVICE[name]
    actor = may_not(world)
    if name == "login_unlock":
        _locked("locked-clerk")
    state = admin_counts()
    for who in (actor, actor.user):
        with pytest.raises(refusal):
            call(world, who)
    with pytest.raises(PermissionDenied):  # deny by default: no actor is no one
        call(world, None)
    assert admin_counts() == state


@pytest.mark.parametrize("name", sorted(GUARDED_BY_THE_SERVICE))
def test_the_service_lets_the_granted_person_and_a_system_caller_through(world, name):
    call, may, _may_not, _refusal = GUARDED_BY_THE_SERVICE[name]
    actor = may(world)
    before = AuditEvent.objects.count()
    call(world, actor.user)
    assert AuditEvent.objects.count() > before
    if name == "calendar_year_load":
        assert CalendarYear.objects.get(jurisdiction="CN", year=2027).status == "official"
    call(world, system("authz-test"))
