"""The one access module: each role's grants, deny by default, one definition of scope for rows and queries,
and every page, fragment and API view guarded by it."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from lifecrm.org import access
from lifecrm.org.access import AccessDenied, NotInScope, command_scope, require, staff_page, visible
from lifecrm.org.rules import GRANTS, Action, DataScope, ScopeKind, allows, scope_for
from lifecrm.parties.models import Customer
from lifecrm.parties.selectors import customers_in_scope
from lifecrm.policies.models import Policy
from tests.factories import make_customer, make_org, make_policy, make_staff

pytestmark = pytest.mark.usefixtures("english")

# role (at a branch, or at HQ) -> the actions it may take. Everything not listed is refused.
MANAGING = {"billing.refund_suspense", "billing.reverse_payment", "billing.apply_reinstatement",
            "billing.decide_reinstatement", "policies.change", "parties.change"}
AT_THE_COUNTER = {"billing.apply_reinstatement", "parties.change"}
SERVING = {"service.log_interaction", "service.open_case", "claims.report"}  # every role that serves customers
HANDLING = {"service.handle_case"}
SUPERVISING = {"service.supervise_cases"}
VALUING = {"value.view"}
EMERGENCY = {"service.assist_emergency"}  # the call centre and anyone at HQ
CARE = {"service.work_care_tasks"}
# Policy servicing: the counter, the call centre and the agent take requests in; the counter and management work
# them; management checks them.
TAKING = {"servicing.request"}
PROCESSING = {"servicing.process"}
CHECKING = {"servicing.approve"}
CLAIMS = {"claims.handle", "claims.approve"}  # claims handlers and management (the maker never checks their own)
EXPECTED = {
    ("hq", "hq"): {"workbench.use", "parties.reveal_id", "billing.take_payment", "billing.manage_collection",
                   "banking.view_files",
                   "billing.confirm_large_payment", "billing.declare_not_collected", "billing.work_queue",
                   "billing.supervise_tasks", "billing.import_bank_file", "org.manage",
                   "org.manage_logins", "parties.export_personal_data", "parties.anonymise",
                   "parties.set_segment", "value.set_tier_thresholds"} | MANAGING | SERVING | HANDLING | SUPERVISING | VALUING | EMERGENCY | CARE
                  | TAKING | PROCESSING | CHECKING | CLAIMS,
    ("hq", "branch"): {"workbench.use", "parties.reveal_id", "billing.take_payment", "billing.manage_collection",
                       "banking.view_files",
                       "billing.confirm_large_payment", "billing.supervise_tasks"} | MANAGING | SERVING | HANDLING | SUPERVISING | VALUING | EMERGENCY | CARE
                      | TAKING | PROCESSING | CHECKING | CLAIMS,
    ("branch", "branch"): {"workbench.use", "parties.reveal_id", "billing.take_payment",
                           "billing.manage_collection", "banking.view_files", "billing.confirm_large_payment",
                           "billing.supervise_tasks"} | MANAGING | SERVING | HANDLING | SUPERVISING | VALUING | CARE | TAKING | PROCESSING
                          | CHECKING | CLAIMS,
    ("counter", "branch"): {"workbench.use", "parties.reveal_id", "billing.take_payment"} | AT_THE_COUNTER | SERVING | HANDLING
                           | TAKING | PROCESSING,
    ("counter", "hq"): {"workbench.use", "parties.reveal_id", "billing.take_payment",
                        "billing.work_queue"} | AT_THE_COUNTER | SERVING | HANDLING | EMERGENCY | TAKING | PROCESSING,
    ("callcentre", "branch"): {"workbench.use", "billing.work_own_tasks", "billing.work_queue"} | SERVING | HANDLING | EMERGENCY | CARE | TAKING,
    ("callcentre", "hq"): {"workbench.use", "billing.work_own_tasks", "billing.work_queue"} | SERVING | HANDLING | EMERGENCY | CARE | TAKING,
    ("claims", "branch"): {"workbench.use", "parties.reveal_id"} | SERVING | HANDLING | CLAIMS,
    ("claims", "hq"): {"workbench.use", "parties.reveal_id", "billing.work_queue"} | SERVING | HANDLING | EMERGENCY | CLAIMS,
    ("agent", "team"): {"workbench.use", "billing.work_own_tasks"} | SERVING | VALUING | CARE | TAKING,
    ("agent", "hq"): {"workbench.use", "billing.work_own_tasks"} | SERVING | VALUING | CARE | TAKING,  # an agent never sees more than the book
    ("auditor", "hq"): set(),  # a role nobody granted anything
    # the administrator: logins and the admin site, no customer data (not even the queue anyone at HQ works)
    ("admin", "hq"): {"org.manage_logins", "org.administer"},
    ("admin", "branch"): {"org.administer"},
}


@pytest.mark.parametrize(("role", "unit_kind"), sorted(EXPECTED))
def test_each_role_may_take_exactly_its_actions(role, unit_kind):
    scope = scope_for(role=role, unit_kind=unit_kind, unit_path="/1/2/", staff_id=7)
    assert {a.value for a in Action if allows(scope, a)} == EXPECTED[(role, unit_kind)]


def test_every_action_has_a_grant():
    assert set(GRANTS) == set(Action)


@pytest.mark.parametrize("action", list(Action))
def test_without_a_staff_record_nothing_is_allowed(action):
    nobody = DataScope(ScopeKind.NONE, "/1/", None, "hq")  # even with a role copied in by mistake
    assert not allows(nobody, action)


def test_an_unknown_action_is_refused():
    hq = scope_for(role="hq", unit_kind="hq", unit_path="/1/", staff_id=1)
    assert not allows(hq, "billing.everything")
    with pytest.raises(ValueError):
        staff_page("billing.everything")  # a misspelt action in a page fails when the module loads
    with pytest.raises(TypeError):
        staff_page()  # a page that names no action serves nobody


@pytest.mark.django_db
def test_contains_is_the_same_rule_as_in_scope():
    """The pure check of one loaded row agrees with the query filter, for every kind of scope, sibling units
    whose ids share a prefix ("/…/2/" and "/…/21/"), rows without an agent and a subtree without a path."""
    org = make_org()
    agents = [make_staff("agent", org.team_a), make_staff("agent", org.team_b)]
    rows = [make_customer(branch=unit, agent=agent)
            for unit in (org.hq, org.branch_a, org.team_a, org.branch_b, org.team_b) for agent in (*agents, None)]
    rows = list(Customer.objects.filter(pk__in=[c.pk for c in rows]))
    scopes = [DataScope(kind, path, staff_id, "hq")
              for kind in ScopeKind for path in ("", org.hq.path, org.branch_a.path, org.team_b.path)
              for staff_id in (None, agents[0].pk)]
    for scope in scopes:
        assert set(customers_in_scope(scope)) == {c for c in rows if visible(scope, c)}, scope


@pytest.mark.django_db
class TestObjects:
    def test_visible_reads_the_loaded_row_and_runs_no_query(self, django_assert_num_queries):
        org = make_org()
        agent, other = make_staff("agent", org.team_a), make_staff("agent", org.team_a)
        mine = make_customer(branch=org.team_a, agent=agent)
        theirs = make_customer(branch=org.team_a, agent=other)
        policy = make_policy(owner=theirs, agent=agent, branch=org.team_a)
        policy = Policy.objects.select_related("payer").get(pk=policy.pk)
        scopes = {
            "agent": scope_for(role="agent", unit_kind="team", unit_path=org.team_a.path, staff_id=agent.pk),
            "branch_a": DataScope(ScopeKind.SUBTREE, org.branch_a.path, 1, "branch"),
            "branch_b": DataScope(ScopeKind.SUBTREE, org.branch_b.path, 2, "branch"),
            "hq": DataScope(ScopeKind.ALL, org.hq.path, 3, "hq"),
        }
        with django_assert_num_queries(0):
            seen = {name: (visible(s, mine), visible(s, theirs), visible(s, policy), visible(s, policy.payer))
                    for name, s in scopes.items()}
        assert seen == {
            "agent": (True, False, True, False),  # the agent's policy, paid by another agent's customer
            "branch_a": (True, True, True, True),
            "branch_b": (False, False, False, False),
            "hq": (True, True, True, True),
        }
        for name, s in scopes.items():  # the same answer as the selectors
            assert set(customers_in_scope(s)) == {c for c in (mine, theirs) if visible(s, c)}, name

    def test_require_says_role_or_scope(self):
        org = make_org()
        customer = make_customer(branch=org.branch_b)
        counter = DataScope(ScopeKind.SUBTREE, org.branch_a.path, 1, "counter")
        with pytest.raises(AccessDenied, match="may not take payments"):
            require(DataScope(ScopeKind.SUBTREE, org.branch_a.path, 1, "claims"), Action.TAKE_PAYMENT)
        with pytest.raises(NotInScope):
            require(counter, Action.TAKE_PAYMENT, Customer.objects.get(pk=customer.pk))
        require(DataScope(ScopeKind.ALL, org.hq.path, 1, "hq"), Action.TAKE_PAYMENT, customer)

    def test_a_command_covers_the_company_or_a_units_subtree(self):
        org = make_org()
        assert command_scope(None) == (DataScope(ScopeKind.ALL), None)
        assert command_scope(org.hq.code) == (DataScope(ScopeKind.ALL, org.hq.path), org.hq)
        assert command_scope(org.branch_a.code) == (DataScope(ScopeKind.SUBTREE, org.branch_a.path), org.branch_a)
        with pytest.raises(LookupError, match="NOPE"):
            command_scope("NOPE")


@pytest.mark.django_db
class TestStaffPage:
    @staticmethod
    def view(request):
        return HttpResponse(request.scope.role)

    def request(self, user, *, htmx=False):
        request = RequestFactory().get("/some/page/?x=1")
        request.user = user
        request.htmx = htmx
        return request

    def test_anonymous_goes_to_login_and_an_htmx_fragment_asks_the_browser_to(self):
        guarded = staff_page(Action.USE_WORKBENCH)(self.view)
        page = guarded(self.request(AnonymousUser()))
        assert page.status_code == 302 and page["Location"].startswith("/login/?next=")
        fragment = guarded(self.request(AnonymousUser(), htmx=True))
        assert fragment.status_code == 200 and fragment["HX-Redirect"].startswith("/login/?next=")

    def test_role_and_staff_record(self, django_user_model):
        org = make_org()
        guarded = staff_page(Action.MANAGE_COLLECTION, Action.TAKE_PAYMENT)(self.view)
        assert guarded(self.request(make_staff("counter", org.branch_a).user)).content == b"counter"
        with pytest.raises(AccessDenied):
            guarded(self.request(make_staff("agent", org.team_a).user))
        with pytest.raises(PermissionDenied, match="no active staff record"):
            guarded(self.request(django_user_model.objects.create_user("visitor")))


# Views that need no staff record: logging in and out, the health checks, the language switch, Django's admin
# (its own staff flag), and the API's JSON 404 for unknown addresses (the API schema needs staff: issue 14 §2).
# The second factor's pages serve a login between its password and its code (no staff page yet, by design).
OPEN_VIEWS = {"LoginView", "LogoutView", "healthz", "readyz", "set_language", "not_found",
              "otp_verify", "otp_enrol", "survey_answer"}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_page_and_api_view_is_guarded_by_the_access_module():
    unguarded = []
    for route, callback in _walk(get_resolver().url_patterns):
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        name = view_class.__name__ if view_class else callback.__name__
        if name in OPEN_VIEWS:
            continue
        if view_class is not None and hasattr(view_class, "permission_classes"):  # the API
            if access.StaffMayAct not in view_class.permission_classes:
                unguarded.append(route)
        elif not getattr(callback, "access_actions", ()):
            unguarded.append(route)
    assert not unguarded, f"views outside the access module: {unguarded}"
