"""Book generator steps of policy servicing: a year of servicing requests on the book's policies.

* `servicing.book` (book-level): the request types' ids and checklists, the branch managers (the checkers) and
  the jurisdiction's clock periods and working calendar, read once.
* `servicing.history` (per chunk, no query): over the HISTORY_DAYS before the as-of date, requests on about
  REQUESTS_PER_POLICY of the in-force policies (contact, payment method, premium mode, beneficiary changes, loans,
  sum-assured decreases), received at the counter, by the call centre or through the agent; every surrendered or
  cooling-off-cancelled policy gets the request that ended it (received a few days before its status date,
  executed on it). Each request has its checklist with receipt dates, its event log and its clocks
  (`servicing.rules.request_clocks`, the services' own arithmetic); the recent ones are still open, at every
  stage, and a few are overdue. Makers are the branch's counter clerks, checkers its managers (never the maker).

The generated contract changes are history only: they do not append policy versions (the book's versions come
from the policies step); a surrender and a cooling-off cancellation match the policy's status and date.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from lifecrm.core.generator import GeneratorContext, generator_step
from lifecrm.core.generator.dates import NO_DATE, date_of, days_of
from lifecrm.core.rules import Period, WorkingCalendar
from lifecrm.org.generator import OrgBook
from lifecrm.policies.generator import STATUS_CODES, PoliciesChunk
from lifecrm.policies.rules import Status
from lifecrm.servicing import rules
from lifecrm.servicing.rules import Clock, RequestStatus

HISTORY_DAYS = 365
REQUESTS_PER_POLICY = 0.08  # of the policies in force, over the history
OPEN_DAYS = 12  # requests received in the last OPEN_DAYS are still being worked (at some stage)
TYPE_WEIGHTS = (("contact_change", 38), ("payment_method_change", 18), ("beneficiary_change", 14),
                ("premium_mode_change", 10), ("policy_loan", 12), ("sum_assured_decrease", 8))
CHANNEL_WEIGHTS = (("counter", 55), ("callcentre", 25), ("agent", 15), ("portal", 5))
REJECTED_SHARE = 0.05
CANCELLED_SHARE = 0.03
DAY, HOUR = 86400, 3600
_ADDRESSES = ("朝阳区建国路88号", "浦东新区世纪大道100号", "天河区天河路385号", "南山区科技园南路18号")


@dataclass(frozen=True)
class ServicingBook:
    types: dict[str, tuple[int, list[dict], bool, float | None]]  # code → (id, documents, always, above)
    managers: dict[int, list[int]]  # branch id → its managers (staff ids)
    hq_managers: list[int]
    periods: dict[Clock, Period]
    calendar: WorkingCalendar
    cooling_off_cost_cap: float


@generator_step("servicing.book", after=["org.units"])
def generate_book(ctx: GeneratorContext) -> None:
    """The request types, the checkers of each branch and the jurisdiction's clocks (read once)."""
    from lifecrm.core.selectors import jurisdiction_rule, working_calendar
    from lifecrm.servicing.models import RequestType
    from lifecrm.servicing.services import clock_periods

    staff = ctx.pending("org.Staff")
    units = ctx.pending("org.OrgUnit")
    parent = dict(zip(np.asarray(units["id"]).tolist(), list(units.get("parent_id", [])), strict=False))
    kind = dict(zip(np.asarray(units["id"]).tolist(), list(units["kind"]), strict=True))
    managers: dict[int, list[int]] = {}
    hq: list[int] = []
    for staff_id, role, unit in zip(np.asarray(staff["id"]).tolist(), list(staff["role"]),
                                    np.asarray(staff["org_unit_id"]).tolist(), strict=True):
        if role not in ("branch", "hq"):
            continue
        if kind.get(unit) == "hq":
            hq.append(staff_id)
            continue
        while unit is not None and kind.get(unit) not in ("branch", None):
            unit = parent.get(unit)
        managers.setdefault(unit, []).append(staff_id)
    types = {t.code: (t.pk, t.documents, t.approval_always,
                      None if t.approval_above is None else float(t.approval_above))
             for t in RequestType.objects.filter(is_active=True)}
    ctx.book["servicing"] = ServicingBook(types, managers, hq, clock_periods(ctx.jurisdiction),
                                          working_calendar(ctx.jurisdiction),
                                          float(jurisdiction_rule(ctx.jurisdiction, "cooling_off_cost_cap").amount))


@generator_step("servicing.history", after=["policies.policies", "servicing.book"], per_chunk=True,
                writes=["servicing.ServiceRequest", "servicing.RequestDocument", "servicing.RequestEvent"])
def generate_history(ctx: GeneratorContext) -> None:
    """Servicing requests of the chunk's policies, with checklists, event logs and clocks (no query)."""
    book: ServicingBook = ctx.book["servicing"]
    org: OrgBook = ctx.book["org"]
    pol: PoliciesChunk = ctx.data["policies"]
    rows = ctx.pending("policies.Policy")
    if not len(pol.ids) or not book.types:
        return
    rng = ctx.rng()
    as_of = ctx.as_of_day
    first = as_of - HISTORY_DAYS
    owner = np.asarray(rows["owner_id"])
    branch = np.asarray(rows["branch_id"])
    path = np.asarray(rows["branch_path"], dtype=object)
    agent = np.asarray(rows["agent_id"])
    status = np.array([STATUS_CODES[s] for s in pol.status.tolist()], dtype=object)
    counters: dict[int, list[int]] = {}
    for staff_id, b in zip(org.counter_ids.tolist(), org.counter_branch.tolist(), strict=True):
        counters.setdefault(int(org.branch_ids[b]), []).append(staff_id)

    plan: list[tuple[int, str, int]] = []  # (policy row, type, received day)
    live = np.isin(status, [Status.IN_FORCE, Status.GRACE, Status.REINSTATED, Status.PAID_UP])
    chosen = np.nonzero(live & (pol.issue < as_of - 30) & (rng.random(len(pol.ids)) < REQUESTS_PER_POLICY))[0]
    codes = [c for c, _ in TYPE_WEIGHTS if c in book.types]
    weights = np.array([w for c, w in TYPE_WEIGHTS if c in book.types], dtype=float)
    drawn = rng.choice(len(codes), size=len(chosen), p=weights / weights.sum()) if codes else []
    for q, t in zip(chosen.tolist(), list(drawn), strict=True):
        start = max(first, int(pol.issue[q]) + 30)
        plan.append((q, codes[t], int(rng.integers(start, as_of + 1))))
    for code, ended in (("surrender", Status.SURRENDERED), ("cooling_off_cancellation", Status.COOLING_OFF_CANCELLED)):
        if code not in book.types:
            continue
        for q in np.nonzero((status == ended) & (pol.status_date >= first))[0].tolist():
            received = max(int(pol.status_date[q]) - int(rng.integers(3, 9)), int(pol.issue[q]))
            plan.append((q, code, -received - 1))  # negative: executed on the status date
    if not plan:
        return
    plan.sort(key=lambda p: abs(p[2]))
    requests, documents, events = [], [], []
    ids = ctx.ids("servicing.ServiceRequest", len(plan))
    offset = ctx.book["utc_offset"]
    for request_id, (q, code, day) in zip(ids.tolist(), plan, strict=True):
        ended_by_policy = day < 0
        received = -day - 1 if ended_by_policy else day
        type_id, checklist, always, above = book.types[code]
        branch_id = int(branch[q])
        makers = counters.get(branch_id) or [0]
        checkers = book.managers.get(branch_id) or book.hq_managers or [0]
        maker = int(makers[int(rng.integers(len(makers)))]) or None
        checker = int(checkers[int(rng.integers(len(checkers)))]) or None
        amount = _amount(rng, code, pol, q, book.cooling_off_cost_cap)
        needs = always or (above is not None and amount is not None and amount > above)
        age = as_of - received
        # where it stands: an old request is closed; a recent one at the stage its age allows
        u = float(rng.random())
        log: list[tuple[str, int, str]] = [("received", received, "")]
        accepted = complete = notice = approved = closed = NO_DATE
        state = RequestStatus.RECEIVED
        late = u < 0.08  # some work slips past its clock
        accept_at = received + int(rng.integers(0, 2)) + (3 if late else 0)
        if ended_by_policy:
            closed = int(pol.status_date[q])
            accept_at = min(accept_at, closed)
        if not ended_by_policy and (age < OPEN_DAYS and u < 0.35 or accept_at > as_of):
            pass  # still waiting to be accepted
        elif not ended_by_policy and u > 1 - REJECTED_SHARE:
            accepted = accept_at
            log += [("rejected", accept_at, "签名与留存样本不符")]
            closed, state = accept_at, RequestStatus.REJECTED
        else:
            accepted = accept_at
            log.append(("accepted", accepted, ""))
            missing = float(rng.random()) < 0.3
            docs_in = accepted + (int(rng.integers(3, 10)) if missing else 0)
            if missing:
                notice = accepted + int(rng.integers(1, 4))
                log += [("awaiting_documents", accepted, ""), ("missing_notice", min(notice, as_of), "")]
            if ended_by_policy:
                docs_in = min(docs_in, closed)
                notice = min(notice, closed) if notice != NO_DATE else NO_DATE
            if docs_in > as_of:
                state = RequestStatus.AWAITING_DOCUMENTS
            else:
                complete = docs_in
                log.append(("complete", complete, ""))
                state = RequestStatus.COMPLETE
                finish = closed if ended_by_policy else complete + int(rng.integers(0, 4)) + (4 if late else 0)
                if needs:
                    log.append(("submitted", complete, ""))
                    state = RequestStatus.PENDING_APPROVAL
                    approve_at = min(complete + int(rng.integers(0, 3)), finish)
                    if approve_at <= as_of and (ended_by_policy or age >= 3):
                        approved = approve_at
                        log.append(("approved", approved, ""))
                        state = RequestStatus.APPROVED
                if state in (RequestStatus.COMPLETE, RequestStatus.APPROVED) and finish <= as_of and (
                        ended_by_policy or age >= OPEN_DAYS or float(rng.random()) < 0.5):
                    if not ended_by_policy and float(rng.random()) < CANCELLED_SHARE:
                        log.append(("cancelled", finish, "客户撤回申请"))
                        state = RequestStatus.CANCELLED
                    else:
                        log.append(("executed", finish, ""))
                        state = RequestStatus.EXECUTED
                    closed = finish
        clocks = rules.request_clocks(
            received_on=date_of(received), complete_on=None if complete == NO_DATE else date_of(complete),
            periods=book.periods, calendar=book.calendar, is_surrender=code == "surrender")
        # the history's money went out the day its request was executed (surrender values, loans, refunds)
        paid = closed if state == RequestStatus.EXECUTED and code in rules.PAYS_THE_OWNER else NO_DATE
        due = clocks.current_due(status=state, missing_notice_sent=notice != NO_DATE, paid=paid != NO_DATE)
        requests.append({
            "id": request_id, "number": f"SV{request_id:08d}", "request_type_id": type_id,
            "policy_id": int(pol.ids[q]), "customer_id": int(owner[q]), "channel": _channel(rng),
            "status": state.value, "received_on": received, "accepted_on": accepted, "missing_notice_on": notice,
            "complete_on": complete, "approved_on": approved,
            "closed_on": closed if state in rules.CLOSED else NO_DATE, "paid_on": paid,
            "accept_due": days_of(clocks.accept_due), "missing_items_due": days_of(clocks.missing_items_due),
            "complete_due": NO_DATE if clocks.complete_due is None else days_of(clocks.complete_due),
            "payment_due": NO_DATE if clocks.payment_due is None else days_of(clocks.payment_due),
            "due_on": NO_DATE if due is None else days_of(due),
            "payload": json.dumps(_payload(rng, code, pol, q), ensure_ascii=False),
            "amount": amount, "needs_approval": needs, "maker_id": maker or 0,
            "checker_id": (checker if checker != maker else 0) if approved != NO_DATE else 0,
            "created_at": received * DAY + int(rng.integers(9 * HOUR, 17 * HOUR)) - offset,
            "branch_id": branch_id, "branch_path": path[q], "agent_id": int(agent[q]),
            "reason": "签名与留存样本不符" if state == RequestStatus.REJECTED else "",
        })
        for d in checklist:
            came = NO_DATE
            if complete != NO_DATE:
                came = complete
            elif accepted != NO_DATE and float(rng.random()) < 0.5:
                came = received
            documents.append((request_id, d["code"], d["name"], d.get("name_en", d["name"]), came))
        for seq, (kind, on, note) in enumerate(log, start=1):
            events.append((request_id, seq, kind, on, on * DAY + 10 * HOUR + seq * 60 - offset, note))
    _write(ctx, requests, documents, events)


def _amount(rng, code: str, pol: PoliciesChunk, q: int, cost_cap: float) -> float | None:
    annual = float(pol.annual_cents[q]) / 100
    years = max(1, int(pol.paid_instalments[q]))
    if code == "policy_loan":
        return round(annual * float(rng.uniform(0.3, 1.5)), 2)
    if code == "surrender":
        return round(annual * years * float(rng.uniform(0.3, 0.9)), 2)
    if code == "cooling_off_cancellation":
        return max(round(float(pol.modal_cents[q]) / 100 * years - cost_cap, 2), 0.0)
    return None


def _payload(rng, code: str, pol: PoliciesChunk, q: int) -> dict:
    if code == "contact_change":
        return {"address": _ADDRESSES[int(rng.integers(len(_ADDRESSES)))]}
    if code == "payment_method_change":
        return {"payment_method": "auto_debit", "account_last4": f"{int(rng.integers(10000)):04d}"}
    if code == "premium_mode_change":
        return {"premium_mode": "annual" if int(pol.mode[q]) else "monthly"}
    if code == "beneficiary_change":
        return {"beneficiaries": [{"name": "配偶", "relation_to_insured": "spouse", "order": 1, "share": "1/2"},
                                  {"name": "子女", "relation_to_insured": "child", "order": 1, "share": "1/2"}]}
    return {}


def _channel(rng) -> str:
    u = float(rng.random()) * sum(w for _, w in CHANNEL_WEIGHTS)
    for channel, weight in CHANNEL_WEIGHTS:
        if u < weight:
            return channel
        u -= weight
    return CHANNEL_WEIGHTS[0][0]


def _write(ctx: GeneratorContext, requests: list[dict], documents: list[tuple], events: list[tuple]) -> None:
    def column(key: str):
        values = [r[key] for r in requests]
        if key == "amount":  # nullable: Decimals or None, written row by row by both writers
            return [None if v is None else Decimal(f"{v:.2f}") for v in values]
        if isinstance(values[0], str) or key in ("payload", "branch_path", "number", "channel", "status", "reason"):
            return np.array(values, dtype=object)
        if isinstance(values[0], bool):
            return np.array(values, dtype=bool)
        return np.array(values, dtype=np.int64)

    ctx.write("servicing.ServiceRequest", {key: column(key) for key in requests[0]} | {
        "jurisdiction_id": ctx.jurisdiction, "result": "{}", "fee": 0, "note": ""})
    ctx.write("servicing.RequestDocument", {
        "id": ctx.ids("servicing.RequestDocument", len(documents)),
        "request_id": np.array([d[0] for d in documents], dtype=np.int64),
        "code": np.array([d[1] for d in documents], dtype=object),
        "name": np.array([d[2] for d in documents], dtype=object),
        "name_en": np.array([d[3] for d in documents], dtype=object),
        "received_on": np.array([d[4] for d in documents], dtype=np.int64),
    })
    ctx.write("servicing.RequestEvent", {
        "id": ctx.ids("servicing.RequestEvent", len(events)),
        "request_id": np.array([e[0] for e in events], dtype=np.int64),
        "seq": np.array([e[1] for e in events], dtype=np.int64),
        "kind": np.array([e[2] for e in events], dtype=object),
        "on": np.array([e[3] for e in events], dtype=np.int64),
        "at": np.array([e[4] for e in events], dtype=np.int64),
        "actor_id": None, "system_actor": "generator",
        "note": np.array([e[5] for e in events], dtype=object), "data": "{}",
    })
