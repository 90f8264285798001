"""Direct-debit bank files end to end: pain.008 export, pain.002 / camt.054 / CSV results, rejects and retries."""
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from string import Template

import pytest
import xmlschema
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from lifecrm.banking.errors import BankFileRejected
from lifecrm.banking.models import BankFile
from lifecrm.banking.xsd import SCHEMA_DIR
from lifecrm.billing.debits import rejections, rules
from lifecrm.billing.debits import rules as bank_rules
from lifecrm.billing.debits.export import debit_export
from lifecrm.billing.debits.imports import bank_file_import
from lifecrm.billing.models import Allocation, Collection, DueItem, Payment
from lifecrm.billing.selectors import suspense_balance
from lifecrm.billing.services import PaymentRefused, due_items_raise, suspense_refund
from lifecrm.core.actors import SYSTEM
from lifecrm.core.fields import decrypt_bytes
from lifecrm.core.models import AuditEvent
from lifecrm.core.registries import daily_steps
from lifecrm.core.selectors import working_calendar
from lifecrm.org.models import OrgUnit
from lifecrm.policies.models import Policy
from tests.factories import make_customer, make_mandate, make_org, make_policy, make_product, make_staff

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
PREMIUM = Decimal("120.50")  # the factory's modal premium
ISSUED = date(2026, 10, 20)  # monthly: the first renewal premium falls due on Friday 20 Nov 2026
DUE = date(2026, 11, 20)
EXPORT_DAY = date(2026, 11, 17)  # 3 working days before the due date
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture(name="org")
def org_fixture():
    return make_org()


def auto_debit_policy(org, *, name="张伟", mandate=True, payment_method="auto_debit", product=None,
                      bank_code="102100099996"):
    agent = make_staff("agent", org.team_a)
    owner = make_customer(branch=org.branch_a, agent=agent, name=name)
    policy = make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=ISSUED, as_of=ISSUED,
                         payment_method=payment_method, product=product)
    if mandate:
        make_mandate(policy, debtor_name=name, bank_code=bank_code)
    due_items_raise(as_of=EXPORT_DAY, first_id=policy.pk, last_id=policy.pk)
    return policy


def e2e(policy, attempt=1):
    item = DueItem.objects.get(policy=policy, due_date=DUE)
    return rules.end_to_end_id(item.pk, attempt)


def sample(name, **values) -> bytes:
    return Template((DATA / name).read_text(encoding="utf-8")).substitute(values).encode()


def counts():
    return (Payment.objects.count(), Allocation.objects.count(), BankFile.objects.count(),
            list(Collection.objects.order_by("pk").values_list("status", "reason_code")))


def export(day, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return debit_export(as_of=day)


# -- export -------------------------------------------------------------------------------------------

def test_export_makes_one_valid_file_with_one_line_per_auto_debit_premium(org, settings, tmp_path,
                                                                           django_capture_on_commit_callbacks):
    payer = auto_debit_policy(org, name="欧阳娜娜")
    auto_debit_policy(org, mandate=False)  # no mandate: not collected
    auto_debit_policy(org, payment_method="cash")  # mandate, but pays cash now
    assert not export(EXPORT_DAY.replace(day=16), django_capture_on_commit_callbacks).created  # 4 working days ahead

    result = export(EXPORT_DAY, django_capture_on_commit_callbacks)

    [bank_file] = result.created
    content = bytes(bank_file.content)
    schema = xmlschema.XMLSchema(str(SCHEMA_DIR / "pain.008.001.08.xsd"))
    schema.validate(content.decode())
    assert "欧阳娜娜".encode() in content  # UTF-8 Chinese, not pinyin
    reference = e2e(payer)
    assert (bank_file.direction, bank_file.format, bank_file.message_id, bank_file.line_count, bank_file.total_amount) == (
        "out", "pain.008", "LCDD20261117CNY", 1, PREMIUM)
    assert len(bank_file.sha256) == 64
    tree = xmlschema.XMLResource(content.decode())
    tx = tree.root.find(".//p:DrctDbtTxInf", NS)
    assert tx.find("p:PmtId/p:EndToEndId", NS).text == reference
    assert tx.find("p:InstdAmt", NS).attrib == {"Ccy": "CNY"} and tx.find("p:InstdAmt", NS).text == "120.50"
    assert tx.find("p:DbtrAcct/p:Id/p:Othr/p:Id", NS).text.startswith("62220202001")
    assert tx.find("p:DbtrAgt/p:FinInstnId/p:ClrSysMmbId/p:ClrSysId/p:Cd", NS).text == "CNAPS"
    assert tree.root.find(".//p:PmtInf/p:ReqdColltnDt", NS).text == "2026-11-20"
    [collection] = Collection.objects.all()
    assert (collection.end_to_end_id, collection.attempt, collection.amount, collection.collection_date,
            collection.status, collection.export_file) == (reference, 1, PREMIUM, DUE, "sent", bank_file)
    written = tmp_path / "bankfiles" / "out" / "LCDD20261117CNY.xml.fernet"  # encrypted at rest
    assert decrypt_bytes(written.read_bytes()) == content


def test_a_second_export_for_the_same_date_adds_nothing(org, django_capture_on_commit_callbacks):
    auto_debit_policy(org)
    first = export(EXPORT_DAY, django_capture_on_commit_callbacks)
    before = counts()
    again = export(EXPORT_DAY, django_capture_on_commit_callbacks)
    assert counts() == before
    assert not again.created and again.existing == first.created
    # the next day: the premium is already with the bank, so there is nothing to collect
    assert not export(date(2026, 11, 18), django_capture_on_commit_callbacks).created


def test_one_file_per_currency_and_a_bic_goes_in_bicfi(org, django_capture_on_commit_callbacks):
    auto_debit_policy(org)
    hk = make_product(code="TERM-HK", jurisdiction_id="HK", currency="HKD")
    auto_debit_policy(org, name="陳大文", product=hk, bank_code="HSBCHKHHHKH")
    files = {f.message_id: f for f in export(EXPORT_DAY, django_capture_on_commit_callbacks).created}
    assert sorted(files) == ["LCDD20261117CNY", "LCDD20261117HKD"]
    hkd = xmlschema.XMLResource(bytes(files["LCDD20261117HKD"].content).decode())
    assert hkd.root.find(".//p:DrctDbtTxInf/p:InstdAmt", NS).attrib == {"Ccy": "HKD"}
    assert hkd.root.find(".//p:DrctDbtTxInf/p:DbtrAgt/p:FinInstnId/p:BICFI", NS).text == "HSBCHKHHHKH"
    assert hkd.root.find(".//p:DrctDbtTxInf/p:Dbtr/p:Nm", NS).text == "陳大文"


def test_a_big_day_is_cut_into_files_of_at_most_max_lines(org, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(bank_rules, "MAX_LINES_PER_FILE", 2)
    for name in ("张伟", "李娜", "王芳"):
        auto_debit_policy(org, name=name)
    files = export(EXPORT_DAY, django_capture_on_commit_callbacks).created
    assert [(f.message_id, f.line_count) for f in files] == [("LCDD20261117CNY", 2), ("LCDD20261117CNY-2", 1)]
    assert Collection.objects.count() == 3
    again = export(EXPORT_DAY, django_capture_on_commit_callbacks)
    assert not again.created and again.existing == files and Collection.objects.count() == 3


def test_the_export_is_a_daily_step_after_due_items_are_raised(org):
    names = daily_steps.names()
    assert names.index("billing.raise_due_items") < names.index("billing.debit_export")
    auto_debit_policy(org)
    call_command("run-daily", as_of="2026-11-17", no_progress=True)
    call_command("run-daily", as_of="2026-11-17", no_progress=True)
    assert BankFile.objects.filter(direction="out").count() == 1 and Collection.objects.count() == 1


# -- import -------------------------------------------------------------------------------------------

@pytest.fixture(name="sent")
def sent_fixture(org, django_capture_on_commit_callbacks):
    """Two auto-debit premiums due 20 Nov 2026, both sent to the bank on the 17th."""
    paying, short = auto_debit_policy(org), auto_debit_policy(org, name="李娜")
    [bank_file] = export(EXPORT_DAY, django_capture_on_commit_callbacks).created
    return {"paying": paying, "short": short, "paid": e2e(paying), "rejected": e2e(short),
            "message_id": bank_file.message_id}


def import_sample(name, sent, as_of=DUE, **kwargs):
    values = {k: sent[k] for k in ("paid", "rejected", "message_id")}
    return bank_file_import(content=sample(name, **values), filename=name, as_of=as_of, **({"actor": SYSTEM} | kwargs))


def test_pain002_pays_the_accepted_line_and_presents_the_am04_reject_again(sent, django_capture_on_commit_callbacks):
    report = import_sample("pain002_accept_reject.xml", sent)

    assert (report.matched, report.paid, dict(report.rejected), report.represented) == (2, 1, {"AM04": 1}, 1)
    payment = Payment.objects.get()
    assert (payment.policy_id, payment.amount, payment.method, payment.natural_key, payment.received_on) == (
        sent["paying"].pk, PREMIUM, "auto_debit", f"debit:{sent['paid']}", DUE)
    assert Policy.objects.get(pk=sent["paying"].pk).paid_to_date == date(2026, 12, 20)
    paid = Collection.objects.get(end_to_end_id=sent["paid"])
    rejected = Collection.objects.get(end_to_end_id=sent["rejected"])
    assert (paid.status, paid.result_on) == ("paid", DUE)
    assert (rejected.status, rejected.reason_code, rejected.result_on) == ("rejected", "AM04", DUE)
    assert paid.result_file == rejected.result_file == report.bank_file

    # AM04 is presented again 5 working days after the result (Fri 27 Nov), collected the next working day.
    assert not export(date(2026, 11, 26), django_capture_on_commit_callbacks).created
    [again] = export(date(2026, 11, 27), django_capture_on_commit_callbacks).created
    retry = Collection.objects.get(export_file=again)
    assert (retry.end_to_end_id, retry.attempt, retry.collection_date) == (
        e2e(sent["short"], 2), 2, date(2026, 11, 30))


def test_the_same_result_file_twice_changes_nothing(sent):
    first = import_sample("pain002_accept_reject.xml", sent)
    before = counts()
    second = import_sample("pain002_accept_reject.xml", sent)
    assert counts() == before
    assert second.already_imported and second.bank_file == first.bank_file
    assert "already imported" in second.summary()


def test_a_camt054_confirming_a_pain002_accepted_line_books_no_second_payment(sent):
    import_sample("pain002_accept_reject.xml", sent)
    before = counts()
    report = import_sample("camt054_credit.xml", sent, as_of=date(2026, 11, 21))
    assert (report.matched, report.paid, report.unchanged, report.unknown) == (1, 0, 1, 1)
    assert counts()[:2] == before[:2] and Payment.objects.count() == 1


def test_camt054_credit_alone_pays_the_collection(sent):
    report = import_sample("camt054_credit.xml", sent, as_of=date(2026, 11, 21))
    assert report.paid == 1
    assert Payment.objects.get().received_on == DUE


def test_a_return_after_payment_reverses_it_and_hands_the_premium_to_the_reminders(sent, monkeypatch):
    calls = []
    monkeypatch.setattr(rejections, "REJECTION_HANDLERS", [lambda **kw: calls.append(kw)])
    import_sample("pain002_accept_reject.xml", sent)
    report = import_sample("camt054_return.xml", sent, as_of=date(2026, 11, 25))
    assert (report.returned, dict(report.rejected), report.escalated) == (1, {"MD06": 1}, 1)
    original = Payment.objects.get(natural_key=f"debit:{sent['paid']}")
    assert original.reversed_by.amount == -PREMIUM
    assert DueItem.objects.get(policy=sent["paying"], due_date=DUE).status == "open"
    assert Collection.objects.get(end_to_end_id=sent["paid"]).status == "rejected"
    assert [(c["due_item"].policy_id, c["reason_code"], c["as_of"]) for c in calls] == [
        (sent["paying"].pk, "MD06", date(2026, 11, 25))]


@pytest.mark.parametrize(("language", "shown"), [
    ("en", "Direct debit {ref} returned: MD06 — Refund requested by the debtor"),
    ("zh-hant", "轉帳扣款 {ref} 已被退回：MD06 — 付款人要求退款"),
])
def test_a_returned_debit_s_reversal_shows_the_bank_s_reason_in_the_page_s_language(sent, client, org, language, shown):
    import_sample("pain002_accept_reject.xml", sent)
    import_sample("camt054_return.xml", sent, as_of=date(2026, 11, 25))
    reversal = Payment.objects.get(natural_key=f"debit:{sent['paid']}").reversed_by
    stored = f"direct debit {sent['paid']} returned: MD06 (refund requested by the debtor)"
    assert reversal.note == stored  # kept in English: the page says it in its own language
    client.force_login(make_staff("hq", org.hq).user)
    body = client.get(reverse("billing:receipt", args=[reversal.pk]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'<dd data-testid="payment-note">{shown.format(ref=sent["paid"])}</dd>' in body
    assert "returned: MD06 (" not in body
    assert Payment.objects.get(pk=reversal.pk).note == stored


@pytest.mark.parametrize(("note", "read"), [
    ("direct debit DD1-1 returned: AC04 (account closed)", ("DD1-1", "AC04")),
    ("direct debit DD1-1 returned: XX99", ("DD1-1", "XX99")),
    ("direct debit DD1-1 returned: no reason code", ("DD1-1", "")),
    ("cheque bounced", None),
    ("", None),
])
def test_a_return_note_is_read_back_as_its_reference_and_reason_code(note, read):
    assert rules.returned_debit(note) == read
    if read:
        assert rules.return_note(*read) == note


def test_a_non_retryable_csv_reject_calls_the_rejection_handlers_and_is_not_presented_again(
        sent, monkeypatch, django_capture_on_commit_callbacks):
    calls = []
    monkeypatch.setattr(rejections, "REJECTION_HANDLERS", [lambda **kw: calls.append(kw)])
    report = import_sample("results.csv", sent, file_format="csv")
    assert (report.paid, dict(report.rejected), report.escalated) == (1, {"AC04": 1}, 1)
    assert [(c["due_item"].policy_id, c["reason_code"]) for c in calls] == [(sent["short"].pk, "AC04")]
    assert not export(date(2026, 12, 4), django_capture_on_commit_callbacks).created


def test_a_pain002_v12_block_reject_rejects_every_collection_in_the_block(sent):
    report = import_sample("pain002_v12_block_rejected.xml", sent, as_of=date(2026, 11, 18))
    assert dict(report.rejected) == {"MD01": 2}
    assert set(Collection.objects.values_list("status", "reason_code", "result_on")) == {
        ("rejected", "MD01", date(2026, 11, 18))}


def test_a_policy_in_grace_is_back_in_force_when_its_debit_is_collected(org):
    policy = auto_debit_policy(org)
    call_command("run-daily", as_of="2026-11-23", from_date="2026-11-17", no_progress=True)
    assert Policy.objects.get(pk=policy.pk).status == "grace"
    values = {"paid": e2e(policy), "rejected": "E999998-1", "message_id": "LCDD20261117CNY"}
    content = sample("camt054_credit.xml", **values).replace(b"2026-11-20", b"2026-11-23")
    bank_file_import(content=content, filename="late.xml", as_of=date(2026, 11, 23), actor=SYSTEM)
    p = Policy.objects.get(pk=policy.pk)
    assert (p.status, p.status_date, p.paid_to_date) == ("in_force", date(2026, 11, 23), date(2026, 12, 20))


# -- files refused whole ------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "file_format", "where", "reason"), [
    ("pain002_schema_invalid.xml", "auto", "/Document/CstmrPmtStsRpt/OrgnlPmtInfAndSts/TxInfAndSts[2]/TxSts",
     "value must be one of"),
    ("pain002_unknown_reference.xml", "pain.002",
     "/Document/CstmrPmtStsRpt/OrgnlPmtInfAndSts[1]/TxInfAndSts[2]/OrgnlEndToEndId",
     "unknown end-to-end reference E999999-1"),
    ("results_bad_amount.csv", "csv", "line 3", "amount 'abc' is not a number"),
    ("results_wrong_currency.csv", "auto", "line 3", "currency HKD is not the collection's CNY"),
    ("camt054_credit.xml", "pain.002", "", "a pain.002 file was expected, this is camt.054.001.08"),
])
def test_a_bad_file_is_rejected_whole_saying_where_and_why(sent, name, file_format, where, reason):
    before = counts()
    with pytest.raises(BankFileRejected) as caught:
        import_sample(name, sent, file_format=file_format)
    assert caught.value.where == where
    assert reason in caught.value.reason
    assert counts() == before  # the first line was good: it was not kept either


@pytest.mark.parametrize(("amount", "reason"), [
    ("1e5", "is not a number"), ("１２０.５０", "is not a number"), ("1,000.00", "is not a number"),
    ("0.00", "must be positive"), ("120.505", "more than 2 decimals"), ("10000000000", "is more than"),
])
def test_a_csv_amount_is_plain_digits(amount, reason):
    from lifecrm.banking.formats.csvfile import _line

    with pytest.raises(BankFileRejected, match=reason):
        _line(2, ["E000123-1", "paid", amount, "CNY", "2026-09-30", ""])


@pytest.mark.parametrize(("content", "reason"), [
    (b"<Document><unclosed></Document>", "not well-formed XML"),
    (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "x">]><Document>&x;</Document>', "forbidden"),
    (b'<Document xmlns="urn:example"/>', "unsupported message"),
    (b"end_to_end_id,status\n", "the header must be"),
    (b"   ", "the file is empty"),
])
def test_unreadable_files_are_rejected(content, reason):
    with pytest.raises(BankFileRejected, match=reason):
        bank_file_import(content=content, filename="x", as_of=DUE, actor=SYSTEM)
    assert not BankFile.objects.exists()


def test_our_own_export_is_not_a_result_file(sent):
    own = BankFile.objects.get(direction="out")
    with pytest.raises(BankFileRejected, match="our own export"):
        bank_file_import(content=bytes(own.content), filename=own.filename, as_of=DUE, actor=SYSTEM)


def test_a_payment_dated_after_the_business_date_is_refused(sent):
    with pytest.raises(BankFileRejected, match="after the business date"):
        import_sample("results.csv", sent, as_of=date(2026, 11, 19))


# -- commands -----------------------------------------------------------------------------------------

def test_commands_report_and_fail_in_one_line(sent, tmp_path, capsys):
    path = tmp_path / "psr.xml"
    path.write_bytes(sample("pain002_accept_reject.xml", paid=sent["paid"], rejected=sent["rejected"],
                            message_id=sent["message_id"]))
    call_command("bank-import", str(path), "--as-of", "2026-11-20")
    out = capsys.readouterr().out
    assert "2 matched, 1 paid, rejected: AM04 ×1" in out
    call_command("bank-import", str(path), "--as-of", "2026-11-20", "--format", "pain.002")
    assert "already imported" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(sample("results_bad_amount.csv", paid=sent["paid"], rejected=sent["rejected"]))
    with pytest.raises(CommandError, match=r"^bad.csv rejected, nothing imported: line 3: amount 'abc' is not a number \(digits, a dot and at most 2 decimals\)$"):
        call_command("bank-import", str(bad), "--as-of", "2026-11-20")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("bank-import", str(tmp_path / "missing.xml"), "--as-of", "2026-11-20")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("bank-export", "--as-of", "20 Nov")
    call_command("bank-export", "--as-of", "2026-11-17")
    assert "already made (2 lines)" in capsys.readouterr().out


# -- rules --------------------------------------------------------------------------------------------

class Calendar:
    """Weekdays only."""

    def add_working_days(self, day, count):
        from lifecrm.core.rules import WorkingCalendar

        return WorkingCalendar("XX").add_working_days(day, count)


@pytest.mark.parametrize(("code", "attempt", "represent_on"), [
    ("AM04", 1, date(2026, 11, 27)),
    ("AM04", rules.MAX_ATTEMPTS - 1, date(2026, 11, 27)),
    ("AM04", rules.MAX_ATTEMPTS, None),
    ("AC04", 1, None),
    ("MD01", 1, None),
    ("", 1, None),
])
def test_reject_code_by_attempt(code, attempt, represent_on):
    decision = rules.after_reject(reason_code=code, attempt=attempt, result_on=DUE, calendar=Calendar())
    assert decision.represent_on == represent_on


def test_a_new_mandate_after_a_reject_is_presented_at_once():
    rejected = rules.PastAttempt(1, "rejected", "AC04", DUE, mandate_id=1)
    assert rules.next_attempt(history=[rejected], mandate_id=1, as_of=DUE, calendar=Calendar()) is None
    assert rules.next_attempt(history=[rejected], mandate_id=2, as_of=DUE, calendar=Calendar()) == 2
    assert rules.next_attempt(history=[], mandate_id=2, as_of=DUE, calendar=Calendar()) == 1


def test_an_export_that_breaks_its_schema_is_never_written():
    """The outgoing check (libxml2) rejects a file we would make wrong, with the element, line and reason."""
    from lifecrm.banking import xsd
    from lifecrm.banking.errors import BankFileRejected

    broken = b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.08">' \
             b'<CstmrDrctDbtInitn><GrpHdr><MsgId>X</MsgId></GrpHdr></CstmrDrctDbtInitn></Document>'
    with pytest.raises(BankFileRejected) as caught:
        xsd.check_outgoing(broken)
    assert caught.value.where.startswith("/")
    assert caught.value.reason.startswith("line 1:") and "CreDtTm" in caught.value.reason
    with pytest.raises(BankFileRejected, match="not well-formed"):
        xsd.check_outgoing(b"<Document")
    with pytest.raises(BankFileRejected, match="expected"):
        xsd.check_outgoing(broken.replace(b"pain.008.001.08", b"pain.002.001.03"))


def test_money_collected_for_a_policy_that_ended_meanwhile_waits_in_suspense_for_its_refund(sent):
    """The bank collected a premium the day the policy was surrendered: the file is not refused (the money
    is ours to pay back), the payment pays nothing and waits in suspense, flagged for refund."""
    Policy.objects.filter(pk=sent["paying"].pk).update(status="surrendered")
    report = import_sample("pain002_accept_reject.xml", sent)
    assert (report.paid, report.to_refund) == (1, 1)
    assert "1 collected for policies that take no premium: in suspense to refund" in report.summary()
    payment = Payment.objects.get(policy=sent["paying"])
    assert not payment.allocations.exists()
    assert DueItem.objects.get(policy=sent["paying"], due_date=DUE).status == "open"
    assert suspense_balance(policy_id=sent["paying"].pk) == PREMIUM
    audit = AuditEvent.objects.get(object_type="billing.payment", object_id=str(payment.pk))
    assert audit.after["refund_due"] is True
    # The payer's bank can claim the debit back for 56 days (MD06): no refund until then, or it pays twice.
    held_until = DUE + timedelta(days=bank_rules.DEBIT_RETURN_DAYS)
    assert held_until == date(2027, 1, 15)

    def refund(on, reference):
        return suspense_refund(actor=SYSTEM, policy_id=sent["paying"].pk, amount=PREMIUM, method="bank_transfer",
                               reference=reference, reason="policy surrendered before the debit", as_of=on)

    for on in (held_until - timedelta(days=1), held_until):
        with pytest.raises(PaymentRefused, match=r"only 0.00 CNY can be refunded now: 120.50 is direct-debit money "
                                                 r"the payer's bank can claim back until 2027-01-15"):
            refund(on, f"TR-{on:%Y%m%d}")
    paid_back = refund(held_until + timedelta(days=1), "TR-20270116-1")
    assert (paid_back.amount, paid_back.reverses_id, paid_back.natural_key) == (-PREMIUM, None, "refund:TR-20270116-1")
    assert suspense_balance(policy_id=sent["paying"].pk) == 0


def test_debits_the_bank_has_not_answered_in_time_are_shown_until_their_result_comes(
        sent, client, django_capture_on_commit_callbacks):
    """Collected Fri 20 Nov 2026: the result is expected by the 3rd working day after (Wed 25 Nov); from
    Thu 26 Nov the bank files page says the file's debits are still unanswered."""
    from django.urls import reverse
    from django.utils import timezone

    from lifecrm.billing.views.pages import debits_awaiting_results

    assert bank_rules.result_overdue_for(as_of=date(2026, 11, 25), calendar=working_calendar("CN")) == date(
        2026, 11, 19)
    assert debits_awaiting_results(as_of=date(2026, 11, 25)) == []
    [row] = debits_awaiting_results(as_of=date(2026, 11, 26))
    assert (row.bank_file.message_id, row.debits, row.oldest) == (sent["message_id"], 2, DUE)
    hq = make_staff("hq", OrgUnit.objects.get(kind="hq"))
    client.force_login(hq.user)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 11, 26))
        page = client.get(reverse("banking:bank-files")).content.decode()
        assert 'data-testid="awaiting-results"' in page and f"{sent['message_id']}.xml" in page
        import_sample("pain002_accept_reject.xml", sent)  # one paid, one rejected: both answered
        assert debits_awaiting_results(as_of=date(2026, 11, 26)) == []
        assert 'data-testid="awaiting-results"' not in client.get(reverse("banking:bank-files")).content.decode()


def test_a_camt054_uploaded_on_the_bank_files_page_is_validated_once(sent, client, monkeypatch):
    """The page routes the file by its head (`banking.services.file_head`: XSD-checked) and billing's import is
    handed that head: the camt.054 is not validated a second time, and its entries are billing's as before."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from lifecrm.banking import xsd

    validated = []
    validate = xsd.validate
    monkeypatch.setattr(xsd, "validate", lambda content, **kw: validated.append(kw) or validate(content, **kw))
    client.force_login(make_staff("hq", OrgUnit.objects.get(kind="hq")).user)
    content = sample("camt054_credit.xml", **{k: sent[k] for k in ("paid", "rejected", "message_id")})
    response = client.post(reverse("banking:bank-files"), {
        "file": SimpleUploadedFile("camt.xml", content), "file_format": "auto"})
    assert response.status_code == 200 and 'data-testid="import-done"' in response.content.decode()
    assert len(validated) == 1
    assert Collection.objects.get(end_to_end_id=sent["paid"]).status == "paid"
