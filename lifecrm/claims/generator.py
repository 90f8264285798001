"""Book generator steps of claims: the open claims a book has on its as-of date (the demo's `claims.demo` takes
claims through the services to every later stage on top of a book).

* `claims.book` (book-level): the jurisdiction's claim clocks, working calendar and fast-track threshold, read once.
* `claims.history` (per chunk, no query): about CLAIMS_PER_INSURED of the insureds with a policy in force for a while
  report a claim in the OPEN_DAYS before the as-of date (hospitalisation, critical illness, disability, death), on
  any channel at any hour, linked to every policy of the insured. By its age a claim is just reported, waiting for
  the documents asked for in the one missing-documents notice, or with its documents complete and being assessed.
  Each has its checklist with receipt dates, its notice, its event log and its clocks (`claims.rules.clocks`, the
  services' own arithmetic). Decisions and payments stay with the services (payouts go out in bank files).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from lifecrm.claims import checklists, rules
from lifecrm.core.generator import GeneratorContext, generator_step
from lifecrm.core.generator.dates import NO_DATE, date_of, days_of
from lifecrm.core.rules import Period, WorkingCalendar
from lifecrm.parties.generator import PartiesChunk
from lifecrm.policies.generator import STATUS_CODES, PoliciesChunk
from lifecrm.policies.rules import COVER_IN_FORCE, Status

CLAIMS_PER_INSURED = 0.01
OPEN_DAYS = 45
MIN_POLICY_DAYS = 200  # a claim on a policy at least this old (no waiting period, no early-claim flag)
TYPE_WEIGHTS = (("hospitalisation", "illness", 50), ("hospitalisation", "accident", 10),
                ("critical_illness", "illness", 18), ("tpd", "accident", 7), ("death", "illness", 12),
                ("death", "accident", 3))
CHANNELS = ("phone", "counter", "agent", "online", "post")
CHANNEL_WEIGHTS = np.array([40, 20, 25, 12, 3], dtype=float)
DAY, HOUR = 86400, 3600
CLOCK_KEYS = {"decision": "claim_decision_complex", "simple_decision": "claim_decision_simple",
              "advance": "claim_advance_payment", "refusal_notice": "claim_refusal_notice",
              "payment": "claim_payment", "payment_after_documents": "claim_payment_after_documents"}


@dataclass(frozen=True)
class ClaimsBook:
    periods: dict[str, Period | None]
    calendar: WorkingCalendar
    small_threshold: Decimal | None


@generator_step("claims.book", after=["org.units"])
def generate_book(ctx: GeneratorContext) -> None:
    """The jurisdiction's claim clocks, its working calendar and the fast-track threshold (read once)."""
    from lifecrm.core.selectors import RuleNotDefined, jurisdiction_rule, working_calendar

    def rule(key: str):
        try:
            return jurisdiction_rule(ctx.jurisdiction, key)
        except RuleNotDefined:
            return None

    periods = {name: (row.period if (row := rule(key)) else None) for name, key in CLOCK_KEYS.items()}
    threshold = rule("small_claim_threshold")
    ctx.book["claims"] = ClaimsBook(periods, working_calendar(ctx.jurisdiction),
                                    threshold.amount if threshold else None)


@generator_step("claims.history", after=["policies.policies", "claims.book"], per_chunk=True,
                writes=["claims.Claim", "claims.ClaimPolicy", "claims.ClaimDocument", "claims.ClaimNotice",
                        "claims.ClaimEvent"])
def generate_history(ctx: GeneratorContext) -> None:
    """Open claims of the chunk's insureds with checklists, notices, event logs and clocks (no query)."""
    book: ClaimsBook = ctx.book["claims"]
    pol: PoliciesChunk = ctx.data["policies"]
    rows = ctx.pending("policies.Policy")
    if not len(pol.ids):
        return
    people: PartiesChunk = ctx.data["parties"]
    names = ctx.pending("parties.Customer")["name"]
    rng = ctx.rng()
    as_of = ctx.as_of_day
    insured = np.asarray(rows["insured_id"])
    status = np.array([STATUS_CODES[s] for s in pol.status.tolist()], dtype=object)
    live = np.isin(status, list(COVER_IN_FORCE)) & (pol.issue < as_of - MIN_POLICY_DAYS)
    policies_of: dict[int, list[int]] = {}
    for q in np.nonzero(status != Status.PROPOSAL)[0].tolist():
        policies_of.setdefault(int(insured[q]), []).append(q)
    takers = sorted({int(insured[q]) for q in np.nonzero(live)[0].tolist()})
    chosen = [person for person in takers if float(rng.random()) < CLAIMS_PER_INSURED]
    if not chosen:
        return
    ids = ctx.ids("claims.Claim", len(chosen))
    claims, links, documents, notices, events = [], [], [], [], []
    weights = np.array([w for *_rest, w in TYPE_WEIGHTS], dtype=float)
    offset = ctx.book["utc_offset"]
    for claim_id, person in zip(ids.tolist(), chosen, strict=True):
        qs = sorted(policies_of[person], key=lambda q: int(pol.ids[q]))
        first = next(q for q in qs if live[q])
        claim_type, cause, _w = TYPE_WEIGHTS[int(rng.choice(len(TYPE_WEIGHTS), p=weights / weights.sum()))]
        received = as_of - int(rng.integers(0, OPEN_DAYS))
        event = received - int(rng.integers(1, 20))
        amount = (Decimal(int(rng.integers(600, 30000))) if claim_type == "hospitalisation" else None)
        small = bool(book.small_threshold) and rules.is_small_claim(amount, book.small_threshold)
        codes = checklists.checklist(rules.ClaimType(claim_type), cause=rules.Cause(cause), small=small)
        age = as_of - received
        log = [("reported", received, "")]
        notice = complete = NO_DATE
        got_first = received
        if age >= 2:  # the claim form and the claimant's ID came with the report or soon after
            log.append(("documents_received", got_first, ""))
            if float(rng.random()) < 0.6 and len(codes) > 2:
                notice = received + int(rng.integers(0, 3))
                log.append(("missing_documents_notice", notice, ""))
            takes = int(rng.integers(3, 25)) if notice != NO_DATE else int(rng.integers(0, 6))
            if received + takes <= as_of and age >= 5:
                complete = max(received + takes, notice + 1 if notice != NO_DATE else received)
                if complete <= as_of:
                    log.append(("documents_received", complete, ""))
                else:
                    complete = NO_DATE
        state = (rules.ClaimStatus.ASSESSING if complete != NO_DATE else rules.ClaimStatus.DOCUMENTS_PENDING
                 if notice != NO_DATE else rules.ClaimStatus.REPORTED)
        reached = notice + 1 if notice != NO_DATE else NO_DATE
        if reached != NO_DATE and reached > as_of:
            reached = notice
        clocks = rules.clocks(
            first_receipt=date_of(received), documents_complete_on=None if complete == NO_DATE else date_of(complete),
            notice_reached_on=None if reached == NO_DATE else date_of(reached), simple=small, decided_on=None,
            outcome=None, calendar=book.calendar, **book.periods)
        dues = [d for d in (clocks.decision_due, clocks.simple_decision_due, clocks.payment_due) if d is not None]
        row = _row(rows, first)
        at = received * DAY + int(rng.integers(0, 24 * HOUR)) - offset
        claims.append({
            "id": claim_id, "number": f"CL{claim_id:08d}", "claim_type": claim_type, "cause": cause,
            "insured_id": person, "claimant_name": str(names[int(people.row[pol.insured[first]])]), "claimant_phone": "",
            "claimant_relation": "self" if claim_type != "death" else "family", "event_date": event,
            "channel": CHANNELS[int(rng.choice(len(CHANNELS), p=CHANNEL_WEIGHTS / CHANNEL_WEIGHTS.sum()))],
            "reported_at": at, "first_receipt": received, "jurisdiction_id": ctx.jurisdiction,
            "currency": row["currency"], "amount_claimed": amount, "small": small, "status": state.value,
            "documents_complete_on": complete, "decision_due": _day(clocks.decision_due),
            "simple_decision_due": _day(clocks.simple_decision_due),
            "advance_payment_due": _day(clocks.advance_payment_due), "payment_due": _day(clocks.payment_due),
            "clock_stopped": clocks.stopped, "next_due": _day(min(dues) if dues else None),
            "branch_id": row["branch_id"], "branch_path": row["branch_path"], "agent_id": row["agent_id"],
        })
        links += [(claim_id, int(pol.ids[q])) for q in qs]
        wanted = set(codes[2:]) if notice != NO_DATE else set()
        for code in codes:
            came = complete if complete != NO_DATE else (got_first if code not in wanted and age >= 2 else NO_DATE)
            documents.append((claim_id, code, came, notice if code in wanted else NO_DATE))
        if notice != NO_DATE:
            notices.append((claim_id, notice, reached, json.dumps(sorted(wanted))))
        for seq, (kind, on, note) in enumerate(log, start=1):
            events.append((claim_id, seq, kind, on, max(on * DAY + 10 * HOUR + seq * 60 - offset, at + seq), note))
    _write(ctx, claims, links, documents, notices, events)


def _row(rows: dict, q: int) -> dict:
    """What a claim copies from the row of its insured's first policy in force."""
    currency = rows["currency"]
    return {"currency": currency if isinstance(currency, str) else str(currency[q]),
            "branch_id": int(np.asarray(rows["branch_id"])[q]), "branch_path": str(rows["branch_path"][q]),
            "agent_id": int(np.asarray(rows["agent_id"])[q])}


def _day(day) -> int:
    return NO_DATE if day is None else int(days_of(day))


def _write(ctx: GeneratorContext, claims: list[dict], links: list[tuple], documents: list[tuple],
           notices: list[tuple], events: list[tuple]) -> None:
    text = ("number", "claim_type", "cause", "claimant_name", "claimant_phone", "claimant_relation", "channel",
            "jurisdiction_id", "currency", "status", "branch_path")

    def column(key: str):
        values = [c[key] for c in claims]
        if key == "amount_claimed":
            return values
        if key in text:
            return np.array(values, dtype=object)
        if key in ("small", "clock_stopped"):
            return np.array(values, dtype=bool)
        return np.array(values, dtype=np.int64)

    ctx.write("claims.Claim", {key: column(key) for key in claims[0]} | {
        "description": "", "outcome": "", "reasons": "", "claimant_email": "", "claimant_address": "",
        "claimant_language": "", "version": 1})
    ctx.write("claims.ClaimPolicy", {
        "id": ctx.ids("claims.ClaimPolicy", len(links)),
        "claim_id": np.array([link[0] for link in links], dtype=np.int64),
        "policy_id": np.array([link[1] for link in links], dtype=np.int64)})
    ctx.write("claims.ClaimDocument", {
        "id": ctx.ids("claims.ClaimDocument", len(documents)),
        "claim_id": np.array([d[0] for d in documents], dtype=np.int64),
        "code": np.array([d[1] for d in documents], dtype=object),
        "received_on": np.array([d[2] for d in documents], dtype=np.int64),
        "requested_on": np.array([d[3] for d in documents], dtype=np.int64)})
    if notices:
        ctx.write("claims.ClaimNotice", {
            "id": ctx.ids("claims.ClaimNotice", len(notices)),
            "claim_id": np.array([n[0] for n in notices], dtype=np.int64),
            "kind": "missing_documents", "sent_on": np.array([n[1] for n in notices], dtype=np.int64),
            "reached_on": np.array([n[2] for n in notices], dtype=np.int64),
            "documents": np.array([n[3] for n in notices], dtype=object), "text": "", "outbox_key": ""})
    ctx.write("claims.ClaimEvent", {
        "id": ctx.ids("claims.ClaimEvent", len(events)),
        "claim_id": np.array([e[0] for e in events], dtype=np.int64),
        "seq": np.array([e[1] for e in events], dtype=np.int64),
        "kind": np.array([e[2] for e in events], dtype=object),
        "on": np.array([e[3] for e in events], dtype=np.int64),
        "at": np.array([e[4] for e in events], dtype=np.int64),
        "actor_id": None, "note": np.array([e[5] for e in events], dtype=object), "data": None})
