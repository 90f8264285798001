"""Book generator steps of the billing app: the ledger's opening, recent payment histories, dues and mandates.

The policies generator decides each policy's path (`paid_instalments`, `paid_to_date`, status and
events); this step writes the collection records that path implies, for the recent past only (a
15-year ledger of every policy would make the seed several times slower):

* the ledger opened HISTORY_MONTHS before the as-of date (one LedgerOpening row): the premiums due before it
  are counted in each policy's `paid_instalments` only, and its billing section says so;
* every premium instalment due in the HISTORY_MONTHS before the as-of date and below the policy's
  `paid_instalments` is a paid DueItem with one Payment (natural key `seed:<policy id>:<instalment>`)
  and one Allocation. It was paid on its due date (auto-debit) or a few days before it, on the day a
  late payment inside the grace period was made (the policy's premium_paid event), or on the
  reinstatement day for the arrears a reinstatement cleared;
* premium-paying policies (in force, grace, reinstated) carry the open DueItems the daily batch has
  raised by the as-of date: instalments from `paid_instalments` up to as-of + DUE_ITEM_LEAD_DAYS,
  exactly what `billing.services.due_items_raise` would raise, so `run-daily` on the seed's as-of
  date raises nothing more. A policy in grace has its first unpaid premium overdue, with its
  `grace_end` (the policies generator's grace period);
* suspended policies keep the items raised before their suspension open; the first unpaid one
  carries the grace end that suspended it (the day before the suspension);
* every policy paying by auto-debit (its only PolicyVersion's payment_method) has one active
  DebitMandate signed at application, with the owner as account holder and an encrypted account
  number at a bank of the jurisdiction (CNAPS codes for CN, bank codes for HK and TW).
"""
from __future__ import annotations

import numpy as np

from lifecrm.billing.services import DUE_ITEM_LEAD_DAYS
from lifecrm.core.generator import (
    NO_DATE,
    GeneratorContext,
    WorkingDays,
    add_months,
    choice_weighted,
    digits_str,
    encrypt_many,
    generator_step,
    uniform_int,
    whole_months_between,
)
from lifecrm.parties.generator import PartiesChunk
from lifecrm.policies.generator import MODE_MONTHS, STATUS_CODES, Catalogue, PoliciesChunk
from lifecrm.policies.rules import Status

HISTORY_MONTHS = 12  # paid instalments due this many months before the as-of date are written
# Non-auto-debit payers pay up to this many days before the due date (auto-debit: on the due date).
EARLY_PAYMENT_DAYS = {"auto_debit": (0, 0), "bank_transfer": (0, 10), "cash": (0, 14), "card": (0, 7)}
PAYMENT_METHODS = ("auto_debit", "bank_transfer", "cash", "card")  # = policies.generator.METHODS
MANDATE_SIGNED_BEFORE_ISSUE = 2  # days at most: the mandate form comes with the application (3+ days before issue)

# name, bank code, card number prefix, weight (share of the jurisdiction's auto-debit mandates)
BANKS = {
    "CN": (
        ("中国工商银行", "102100099996", "622202", 18),
        ("中国建设银行", "105100000017", "621700", 16),
        ("中国农业银行", "103100000026", "622848", 14),
        ("中国银行", "104100000004", "621661", 12),
        ("交通银行", "301290000007", "622260", 7),
        ("招商银行", "308584000013", "622588", 8),
        ("中国邮政储蓄银行", "403100000004", "621799", 7),
        ("中信银行", "302100011000", "622690", 3),
        ("上海浦东发展银行", "310290000013", "622521", 3),
        ("兴业银行", "309391000011", "622909", 3),
        ("中国民生银行", "305100000013", "622622", 3),
        ("中国光大银行", "303100000006", "622663", 2),
        ("平安银行", "307584007998", "622155", 2),
        ("华夏银行", "304100040000", "622630", 2),
    ),
    "HK": (
        ("香港上海滙豐銀行", "004", "", 30),
        ("中國銀行(香港)", "012", "", 22),
        ("恒生銀行", "024", "", 20),
        ("渣打銀行(香港)", "003", "", 14),
        ("東亞銀行", "015", "", 8),
        ("中國建設銀行(亞洲)", "009", "", 6),
    ),
    "TW": (
        ("臺灣銀行", "004", "", 16),
        ("中國信託商業銀行", "822", "", 18),
        ("國泰世華商業銀行", "013", "", 16),
        ("台北富邦商業銀行", "012", "", 12),
        ("第一商業銀行", "007", "", 10),
        ("合作金庫商業銀行", "006", "", 10),
        ("玉山商業銀行", "808", "", 10),
        ("兆豐國際商業銀行", "017", "", 8),
    ),
}
ACCOUNT_DIGITS = {"CN": 19, "HK": 12, "TW": 14}  # CN: bank card numbers (prefix + digits)

_STATUS = {s: i for i, s in enumerate(STATUS_CODES)}
_PREMIUM_PAYING = np.array([s in (Status.IN_FORCE, Status.GRACE, Status.REINSTATED) for s in STATUS_CODES])


@generator_step("billing.ledger_opening", writes=["billing.LedgerOpening"])
def generate_ledger_opening(ctx: GeneratorContext) -> None:
    """The day the book's premium ledger opened: HISTORY_MONTHS before the as-of date (premiums paid before it
    are counted in each policy's paid_instalments, not written)."""
    ctx.write("billing.LedgerOpening", {
        "id": ctx.ids("billing.LedgerOpening", 1),
        "opened_on": add_months(np.array([ctx.as_of_day], dtype=np.int64), -HISTORY_MONTHS),
    })


def _dues_by(issue: np.ndarray, months: np.ndarray, total: np.ndarray, day: np.ndarray | int) -> np.ndarray:
    """How many instalments fall due on or before `day` (at most `total`)."""
    day = np.broadcast_to(np.asarray(day, dtype=np.int64), issue.shape)
    elapsed = whole_months_between(issue, np.maximum(day, issue))
    return np.where(day >= issue, np.minimum(elapsed // months + 1, total), 0)


@generator_step("billing.collections", after=["policies.policies"], per_chunk=True,
                writes=["billing.DueItem", "billing.Payment", "billing.Allocation", "billing.DebitMandate"])
def generate_collections(ctx: GeneratorContext) -> None:
    """Recent paid premiums (due item, payment, allocation), the open dues, and auto-debit mandates."""
    pol: PoliciesChunk = ctx.data["policies"]
    cat: Catalogue = ctx.book["policies.catalogue"]
    people: PartiesChunk = ctx.data["parties"]
    n = len(pol.ids)
    if not n:
        return
    rng = ctx.rng()
    as_of = ctx.as_of_day
    offset = ctx.book["utc_offset"]
    grace_days = ctx.book["policies.rules"]["grace_period"]
    calendar: WorkingDays = ctx.book["policies.calendar"]
    months = MODE_MONTHS[pol.mode]
    total = pol.premium_term * (12 // months)
    paid = pol.paid_instalments
    status = pol.status

    # --- which instalments: [first_item, paid) paid, [paid, open_end) open
    window_start = add_months(np.full(n, as_of, dtype=np.int64), -HISTORY_MONTHS)
    first_item = np.minimum(_dues_by(pol.issue, months, total, window_start), paid)
    suspended = status == _STATUS[Status.SUSPENDED]
    premium_paying = _PREMIUM_PAYING[status]
    raised_until = np.where(suspended, pol.status_date - 1, as_of) + DUE_ITEM_LEAD_DAYS
    open_end = np.where(premium_paying | suspended, _dues_by(pol.issue, months, total, raised_until), paid)
    open_end = np.maximum(open_end, paid)
    count = open_end - first_item
    row = np.repeat(np.arange(n), count)
    instalment = np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count) + first_item[row]
    due = add_months(pol.issue[row], instalment * months[row])
    is_paid = instalment < paid[row]
    amount = pol.modal_cents[row] / 100.0
    currency = cat.currency[pol.product][row]
    raised_on = np.maximum(due - DUE_ITEM_LEAD_DAYS, pol.issue[row])

    # --- when the paid ones were paid
    method = pol.method[row]
    early = np.array([EARLY_PAYMENT_DAYS[m] for m in PAYMENT_METHODS])
    paid_on = due - uniform_int(rng, early[method, 0], early[method, 1])
    late_due, late_paid, arrears_from, reinstated_on = _late_payments(ctx, pol)
    paid_on = np.where(due == late_due[row], late_paid[row], paid_on)
    in_arrears = (due >= arrears_from[row]) & (due < reinstated_on[row])
    paid_on = np.where(in_arrears, reinstated_on[row], paid_on)
    paid_on = np.clip(paid_on, pol.issue[row], as_of)
    paid_on = np.where(instalment == 0, pol.issue[row], paid_on)

    # --- grace ends: the first unpaid premium of a policy in grace or suspended
    first_open = (instalment == paid[row]) & ~is_paid
    in_grace = status[row] == _STATUS[Status.GRACE]
    grace_end = np.full(len(row), NO_DATE, dtype=np.int64)
    graced = first_open & in_grace & (due <= as_of)
    grace_end[graced] = calendar.next_working_day(due[graced] + grace_days)
    lapsed_grace = first_open & suspended[row]
    grace_end[lapsed_grace] = pol.status_date[row][lapsed_grace] - 1

    item_ids = ctx.ids("billing.DueItem", len(row))
    ctx.write("billing.DueItem", {
        "id": item_ids,
        "policy_id": pol.ids[row],
        "kind": "premium",
        "instalment": instalment,
        "due_date": due,
        "amount": amount,
        "paid_amount": np.where(is_paid, amount, 0.0),
        "currency": currency,
        "status": np.where(is_paid, "paid", "open").astype(object),
        "grace_end": grace_end,
        "paid_on": np.where(is_paid, paid_on, NO_DATE),
        "raised_on": raised_on,
    })

    # --- one payment and one allocation per paid item
    p = np.nonzero(is_paid)[0]
    payment_ids = ctx.ids("billing.Payment", len(p))
    policy_text = pol.ids[row[p]].astype(str).astype(object)
    instalment_text = instalment[p].astype(str).astype(object)
    booked_at = paid_on[p] * 86400 + rng.integers(9 * 3600, 18 * 3600, len(p)) - offset
    ctx.write("billing.Payment", {
        "id": payment_ids,
        "receipt_no": "S" + digits_str(pol.ids[row[p]], 10) + digits_str(instalment[p], 4),
        "natural_key": "seed:" + policy_text + ":" + instalment_text,
        "policy_id": pol.ids[row[p]],
        "amount": amount[p],
        "currency": currency[p],
        "method": np.array(PAYMENT_METHODS, dtype=object)[method[p]],
        "received_on": paid_on[p],
        "booked_at": booked_at,
        "note": "",
    })
    ctx.write("billing.Allocation", {
        "id": ctx.ids("billing.Allocation", len(p)),
        "payment_id": payment_ids,
        "due_item_id": item_ids[p],
        "amount": amount[p],
        "booked_at": booked_at,
    })
    _write_mandates(ctx, rng, pol, people)


def _late_payments(ctx: GeneratorContext, pol: PoliciesChunk):
    """Per policy: (due date paid late, day it was paid) and (first due in arrears, reinstatement day),
    read from the chunk's policy events (BIG/NO_DATE-like sentinels where none)."""
    n = len(pol.ids)
    none = np.iinfo(np.int64).max // 4
    late_due = np.full(n, -none, dtype=np.int64)
    late_paid = np.zeros(n, dtype=np.int64)
    arrears_from = np.full(n, none, dtype=np.int64)
    reinstated_on = np.full(n, -none, dtype=np.int64)
    events = ctx.pending("policies.PolicyEvent")
    kind = np.asarray(events["kind"])
    policy = np.asarray(events["policy_id"]) - pol.ids[0]
    day = np.asarray(events["effective_date"], dtype=np.int64)
    if len(kind) < 2:
        return late_due, late_paid, arrears_from, reinstated_on
    same1 = np.zeros(len(kind), dtype=bool)
    same1[:-1] = policy[1:] == policy[:-1]
    same2 = np.zeros(len(kind), dtype=bool)
    same2[:-2] = (policy[2:] == policy[:-2])
    grace = kind == "grace_started"
    next1 = np.empty(len(kind), dtype=object)
    next1[:-1], next1[-1] = kind[1:], ""
    next2 = np.empty(len(kind), dtype=object)
    next2[:-2], next2[-2:] = kind[2:], ""
    late = np.nonzero(grace & same1 & (next1 == "premium_paid"))[0]
    late_due[policy[late]], late_paid[policy[late]] = day[late] - 1, day[late + 1]
    back = np.nonzero(grace & same2 & (next1 == "suspended") & (next2 == "reinstated"))[0]
    arrears_from[policy[back]], reinstated_on[policy[back]] = day[back] - 1, day[back + 2]
    return late_due, late_paid, arrears_from, reinstated_on


def _write_mandates(ctx: GeneratorContext, rng: np.random.Generator, pol: PoliciesChunk, people: PartiesChunk) -> None:
    rows = np.nonzero(pol.method == PAYMENT_METHODS.index("auto_debit"))[0]
    if not len(rows):
        return
    banks = BANKS.get(ctx.jurisdiction, BANKS["CN"])
    bank = choice_weighted(rng, [b[3] for b in banks], len(rows))
    names = np.array([b[0] for b in banks], dtype=object)
    codes = np.array([b[1] for b in banks], dtype=object)
    prefixes = np.array([b[2] for b in banks], dtype=object)
    digits = ACCOUNT_DIGITS.get(ctx.jurisdiction, 16)
    prefix = prefixes[bank]
    # the digits after the bank's prefix: two random draws (numpy integers stop at 2**63)
    tail_width = digits - np.array([len(s) for s in prefix.tolist()])
    high = rng.integers(0, 10**9, len(rows))
    low = rng.integers(0, 10**9, len(rows))
    full = digits_str(high, 9) + digits_str(low, 9)
    account = np.array([p + f[len(f) - w:] for p, f, w in zip(prefix.tolist(), full.tolist(), tail_width.tolist(),
                                                                strict=True)], dtype=object)
    signed = pol.issue[rows] - rng.integers(0, MANDATE_SIGNED_BEFORE_ISSUE + 1, len(rows))
    ctx.write("billing.DebitMandate", {
        "id": ctx.ids("billing.DebitMandate", len(rows)),
        "policy_id": pol.ids[rows],
        "reference": "DD" + ctx.jurisdiction + digits_str(pol.ids[rows], 12),
        "debtor_name": people.name[pol.owner[rows]],
        "bank_name": names[bank],
        "bank_code": codes[bank],
        "account_number": np.array(encrypt_many(account.tolist()), dtype=object),
        "account_last4": np.array([a[-4:] for a in account.tolist()], dtype=object),
        "signed_on": signed,
    })
