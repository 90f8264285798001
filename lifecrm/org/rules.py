"""Data scope and role permissions, as pure data: who sees which customers and which role may do what.

Two questions make up every access decision, and each has one answer here:
- the data scope (`DataScope`): which rows a staff member sees (HQ: all; a branch or team: its subtree;
  a sales agent: their own book). `DataScope.contains` decides it for one loaded row and
  `org.selectors.in_scope` for a query: the same rule, kept side by side.
- the grants (`GRANTS`): which role may take which action. An action no grant names is refused, and a
  login without a staff record may do nothing: deny by default.
`org.access` applies both at every edge (pages, htmx fragments, the API, exports and commands).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ScopeKind(StrEnum):
    ALL = "all"  # HQ
    SUBTREE = "subtree"  # a branch or team and everything under it
    OWN_BOOK = "own_book"  # a sales agent's own customers and policies
    NONE = "none"  # no staff record: sees nothing


@dataclass(frozen=True, slots=True)
class DataScope:
    kind: ScopeKind
    unit_path: str = ""
    staff_id: int | None = None
    role: str = ""

    @property
    def sees_everything(self) -> bool:
        return self.kind == ScopeKind.ALL

    def contains(self, *, unit_path: str, agent_id: int | None) -> bool:
        """Whether a row booked on the unit at `unit_path` (its materialised path) and serviced by the agent
        `agent_id` lies in this scope (`org.selectors.in_scope` says the same as a query filter)."""
        if self.kind == ScopeKind.ALL:
            return True
        if self.kind == ScopeKind.SUBTREE:
            return bool(self.unit_path) and unit_path.startswith(self.unit_path)
        if self.kind == ScopeKind.OWN_BOOK:
            return agent_id is not None and agent_id == self.staff_id
        return False


# An operator's command (a PIPL export or anonymisation run on the server) acts as head office.
OPERATOR_SCOPE = DataScope(ScopeKind.ALL, role="hq")


@dataclass(frozen=True, slots=True)
class ScopeFields:
    """Where a scoped model keeps what its data scope is judged by: the materialised path of the unit it is
    booked on, and the id of its agent (a model declares them as `SCOPE_FIELDS`)."""

    path: str
    agent: str


def scope_for(*, role: str, unit_kind: str, unit_path: str, staff_id: int) -> DataScope:
    """HQ units see all; an agent sees their own book; everyone else sees their unit's subtree."""
    if role == "agent":
        return DataScope(ScopeKind.OWN_BOOK, unit_path, staff_id, role)
    if unit_kind == "hq":
        return DataScope(ScopeKind.ALL, unit_path, staff_id, role)
    return DataScope(ScopeKind.SUBTREE, unit_path, staff_id, role)


# -- what each role may do ------------------------------------------------------------------------------

class Action(StrEnum):
    """Everything a staff member may be allowed to do; the value names the app that owns it."""

    USE_WORKBENCH = "workbench.use"  # search, the customer 360, the policy page and its billing section
    REVEAL_ID = "parties.reveal_id"  # see a customer's full identity number (audited)
    TAKE_PAYMENT = "billing.take_payment"  # counter payments (page and API) and their receipts
    MANAGE_COLLECTION = "billing.manage_collection"  # dashboard, persistency, suspense, refunds
    DECLARE_NOT_COLLECTED = "billing.declare_not_collected"  # the bank's confirmation for a whole file
    CONFIRM_LARGE_PAYMENT = "billing.confirm_large_payment"  # a second login for money far above what is owed
    WORK_OWN_TASKS = "billing.work_own_tasks"  # renewal calls assigned to the staff member
    WORK_QUEUE = "billing.work_queue"  # the call-centre queue: renewal calls assigned to nobody
    SUPERVISE_TASKS = "billing.supervise_tasks"  # every renewal call of the scope: filter and reassign
    MANAGE_LOGINS = "org.manage_logins"  # locked logins: see them and unlock them (audited)
    ADMINISTER = "org.administer"  # the admin site: logins, staff records, reference data, API tokens
    EXPORT_PERSONAL_DATA = "parties.export_personal_data"  # a customer's PIPL data export (audited)
    ANONYMISE_CUSTOMER = "parties.anonymise"  # anonymise a former customer past the retention period (audited)
    REFUND_SUSPENSE = "billing.refund_suspense"  # pay money waiting in suspense back to the payer
    REVERSE_PAYMENT = "billing.reverse_payment"  # take a booked payment back (bounced cheque, booking error)
    IMPORT_BANK_FILE = "billing.import_bank_file"  # a bank's result file: the whole company's debits or payouts
    VIEW_BANK_FILES = "banking.view_files"  # every app's bank files: the list, one file (banking's pages)
    APPLY_REINSTATEMENT = "billing.apply_reinstatement"  # register an owner's reinstatement application
    DECIDE_REINSTATEMENT = "billing.decide_reinstatement"  # approve or decline a reinstatement
    CHANGE_POLICY = "policies.change"  # create, issue, change a policy or move it through its statuses
    CHANGE_CUSTOMER = "parties.change"  # register a customer, record consent, relate two customers
    MANAGE_ORG = "org.manage"  # create, move org units; create staff records
    SET_SEGMENT = "parties.set_segment"  # a customer's tier and life-cycle stage (the value engine's, or HQ's)
    SET_TIER_THRESHOLDS = "value.set_tier_thresholds"  # the value each tier starts from: preview, then apply
    VIEW_VALUE = "value.view"  # customer value, lapse risk and their reasons; the value dashboards (own scope)
    LOG_INTERACTION = "service.log_interaction"  # log a call, a visit, a message with a customer
    OPEN_CASE = "service.open_case"  # take in an inquiry, request, complaint or emergency
    HANDLE_CASE = "service.handle_case"  # work a case: answer, note, wait, resolve, close
    SUPERVISE_CASES = "service.supervise_cases"  # assign any case of the scope, approve extensions, reports
    ASSIST_EMERGENCY = "service.assist_emergency"  # the 24x7 emergency line: intake, partner dispatch, follow-ups
    WORK_CARE_TASKS = "service.work_care_tasks"  # care calls, visits and gifts: see them, mark them done
    REQUEST_SERVICING = "servicing.request"  # take in a policy owner's servicing request (counter, call, agent)
    PROCESS_SERVICING = "servicing.process"  # work servicing requests: documents, accept or reject, execute
    APPROVE_SERVICING = "servicing.approve"  # the checker of maker-checker: approve or decline a request
    # -- claims (issue 17 §3) --
    REPORT_CLAIM = "claims.report"  # take a claim in, on any channel, at any hour
    HANDLE_CLAIM = "claims.handle"  # documents, notices, assessment, the decision proposed, payees, payment
    APPROVE_CLAIM = "claims.approve"  # the checker of a decision above the threshold (never the maker)


@dataclass(frozen=True, slots=True)
class Grant:
    """Who may take an action: the roles named, and (`anyone_at_hq`) any service role with a scope of everything;
    `at_hq_only` narrows the named roles to those working at HQ."""

    roles: frozenset[str] = frozenset()
    anyone_at_hq: bool = False
    at_hq_only: bool = False

    def allows(self, scope: DataScope) -> bool:
        at_hq = scope.kind == ScopeKind.ALL
        if self.anyone_at_hq and at_hq and scope.role in SERVICE_ROLES:
            return True
        return scope.role in self.roles and (at_hq or not self.at_hq_only)


# "admin" (administrator) runs the system: logins, staff records, the admin site. It serves no customer, so it
# has no workbench and no data; HQ management's own work stays with "hq".
STAFF_ROLES = frozenset({"hq", "branch", "counter", "callcentre", "claims", "agent", "admin"})
SERVICE_ROLES = STAFF_ROLES - {"admin"}
MANAGEMENT_ROLES = frozenset({"hq", "branch"})

GRANTS: dict[Action, Grant] = {
    Action.USE_WORKBENCH: Grant(SERVICE_ROLES),
    # Roles whose work needs the full identity number (to verify a walk-in customer, pay a claim, answer a
    # regulator); call-centre and sales agents work with masked values.
    Action.REVEAL_ID: Grant(frozenset({"hq", "branch", "counter", "claims"})),
    Action.TAKE_PAYMENT: Grant(frozenset({"hq", "branch", "counter"})),
    Action.MANAGE_COLLECTION: Grant(MANAGEMENT_ROLES),
    # A collection file holds the whole company's debits: only management at HQ answers for all of them.
    Action.DECLARE_NOT_COLLECTED: Grant(MANAGEMENT_ROLES, at_hq_only=True),
    Action.CONFIRM_LARGE_PAYMENT: Grant(MANAGEMENT_ROLES),
    # The ladder assigns agent calls to the policy's agent; a manager may hand a call to a call-centre agent.
    Action.WORK_OWN_TASKS: Grant(frozenset({"agent", "callcentre"})),
    # The queue is the call centre's, and anyone at HQ (agents never have a scope of everything) helps out.
    Action.WORK_QUEUE: Grant(frozenset({"callcentre"}), anyone_at_hq=True),
    Action.SUPERVISE_TASKS: Grant(MANAGEMENT_ROLES),
    # Unlocking a login is head office's (HQ service management and the administrators), never a branch's.
    Action.MANAGE_LOGINS: Grant(frozenset({"hq", "admin"}), at_hq_only=True),
    Action.ADMINISTER: Grant(frozenset({"admin"})),
    # PIPL rights: head office's service management answers a customer's request, for the whole company.
    Action.EXPORT_PERSONAL_DATA: Grant(frozenset({"hq"}), at_hq_only=True),
    Action.ANONYMISE_CUSTOMER: Grant(frozenset({"hq"}), at_hq_only=True),
    # Money going back out, and undoing a booking, are for management (the suspense and refunds pages).
    Action.REFUND_SUSPENSE: Grant(MANAGEMENT_ROLES),
    Action.REVERSE_PAYMENT: Grant(MANAGEMENT_ROLES),
    # A result file answers for every branch's debits: head office imports it.
    Action.IMPORT_BANK_FILE: Grant(MANAGEMENT_ROLES, at_hq_only=True),
    # Every app's files with the bank (debits, payouts, the banks' answers): management sees them, as it did
    # billing's collection files.
    Action.VIEW_BANK_FILES: Grant(MANAGEMENT_ROLES),
    # The owner hands the application in at the counter; management (underwriting) decides it.
    Action.APPLY_REINSTATEMENT: Grant(frozenset({"hq", "branch", "counter"})),
    Action.DECIDE_REINSTATEMENT: Grant(MANAGEMENT_ROLES),
    Action.CHANGE_POLICY: Grant(MANAGEMENT_ROLES),
    Action.CHANGE_CUSTOMER: Grant(frozenset({"hq", "branch", "counter"})),
    # The org chart decides who sees what: HQ service management only.
    Action.MANAGE_ORG: Grant(frozenset({"hq"}), at_hq_only=True),
    # Tiers decide what every customer is entitled to: head office's service management sets them.
    Action.SET_SEGMENT: Grant(frozenset({"hq"}), at_hq_only=True),
    Action.SET_TIER_THRESHOLDS: Grant(frozenset({"hq"}), at_hq_only=True),
    # What a customer is worth and how likely their policies lapse: management, and an agent for their own book
    # (PIPL Art. 24: the reasons are shown with the figures). The call centre and the counter see the tier only.
    Action.VIEW_VALUE: Grant(frozenset({"hq", "branch", "agent"})),
    # Every touchpoint serves one customer record: anyone who serves customers logs what they did and takes a
    # case in; the service desk's people (not the sales agents) work cases; management assigns and approves.
    Action.LOG_INTERACTION: Grant(SERVICE_ROLES),
    Action.OPEN_CASE: Grant(SERVICE_ROLES),
    Action.HANDLE_CASE: Grant(frozenset({"hq", "branch", "counter", "callcentre", "claims"})),
    Action.SUPERVISE_CASES: Grant(MANAGEMENT_ROLES),
    # The emergency line is the call centre's, round the clock, with head office behind it (anyone at HQ helps).
    Action.ASSIST_EMERGENCY: Grant(frozenset({"callcentre", "hq"}), anyone_at_hq=True),
    # Care calls, visits and gifts go to the customer's agent, else to the call centre; management oversees them.
    Action.WORK_CARE_TASKS: Grant(frozenset({"hq", "branch", "callcentre", "agent"})),
    # Policy servicing: the counter, the call centre and the agent take the same request in; the counter (and
    # management) works it; management checks what needs a second person (never the request's maker).
    Action.REQUEST_SERVICING: Grant(frozenset({"hq", "branch", "counter", "callcentre", "agent"})),
    Action.PROCESS_SERVICING: Grant(frozenset({"hq", "branch", "counter"})),
    Action.APPROVE_SERVICING: Grant(MANAGEMENT_ROLES),
    # -- claims (issue 17 §3) --
    # A claim reaches the company on any channel (24 x 7 line, counter, agent): whoever serves customers takes it
    # in; the claims handlers (and management) work it; a second claims handler or a manager checks a decision
    # above the threshold, and the maker never checks their own (claims.services).
    Action.REPORT_CLAIM: Grant(SERVICE_ROLES),
    Action.HANDLE_CLAIM: Grant(frozenset({"hq", "branch", "claims"})),
    Action.APPROVE_CLAIM: Grant(frozenset({"hq", "branch", "claims"})),
}

# Roles whose login needs a second factor (TOTP) where settings.LIFECRM_REQUIRE_OTP is on: those that may reveal
# ID numbers, approve or manage money, unlock logins or administer.
SECOND_FACTOR_ACTIONS = (Action.REVEAL_ID, Action.CONFIRM_LARGE_PAYMENT, Action.MANAGE_COLLECTION,
                         Action.VIEW_BANK_FILES, Action.DECLARE_NOT_COLLECTED, Action.MANAGE_LOGINS, Action.ADMINISTER)
SECOND_FACTOR_ROLES = frozenset().union(*(GRANTS[action].roles for action in SECOND_FACTOR_ACTIONS))


def needs_second_factor(role: str) -> bool:
    return role in SECOND_FACTOR_ROLES


def allows(scope: DataScope, action: Action | str) -> bool:
    """Whether the scope's role may take `action`: nothing without a staff record, nothing not granted.

    The answer depends on the scope's kind and role alone, never on the person: the navbar's menus are rendered
    once per kind and role on that promise (`workbench` templatetag `app_menus`); a grant that looks at the person
    must add them to that cache's key."""
    if scope.kind == ScopeKind.NONE or scope.role not in STAFF_ROLES:
        return False
    try:
        grant = GRANTS[Action(action)]
    except (ValueError, KeyError):
        return False
    return grant.allows(scope)


ROLES_ALLOWED_TO_REVEAL_ID = GRANTS[Action.REVEAL_ID].roles


def may_reveal_id(scope: DataScope) -> bool:
    return allows(scope, Action.REVEAL_ID)


# What each role may do in the admin site (Django model permissions, "app_label.codename"); a role not named
# has no admin site. Nobody is a superuser: the administrators manage logins, staff records, tokens and second
# factors; HQ service management keeps its reference data (jurisdiction rules, calendars, products).
_REFERENCE_DATA = tuple(
    f"{app}.{verb}_{model}"
    for app, model in (("core", "jurisdiction"), ("core", "jurisdictionrule"), ("core", "calendarday"),
                       ("core", "calendaryear"), ("products", "product"), ("products", "premiumrate"),
                       ("products", "cashvalue"), ("service", "carerule"), ("service", "casetype"),
                       ("service", "casecategory"), ("service", "queue"), ("service", "queuemember"),
                       ("service", "routingrule"), ("service", "defaultqueue"), ("service", "slapolicy"),
                       ("service", "businesshours"), ("service", "closureperiod"),
                       ("servicing", "requesttype"))
    for verb in ("view", "add", "change")
)
ADMIN_SITE_PERMISSIONS: dict[str, frozenset[str]] = {
    "hq": frozenset(_REFERENCE_DATA),
    "admin": frozenset(_REFERENCE_DATA) | frozenset({
        "auth.view_user",
        "org.view_orgunit", "org.view_staff", "org.add_staff", "org.change_staff",
        "axes.view_accessattempt", "axes.delete_accessattempt", "axes.view_accessfailurelog",
        "api.view_apitoken", "api.delete_apitoken",
        "otp_totp.view_totpdevice", "otp_totp.delete_totpdevice",
        "core.view_auditevent",
    }),
}
