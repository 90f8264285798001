"""A direct debit at the grace boundary: the bank's value date is the day the money reached the insurer (issue 13
§1). A result file (pain.002 or camt.054) whose value date is the last day of grace G, imported after the batch
suspended the policy, undoes the suspension as paid within grace; a value date of G + 1 leaves it suspended, the
money in suspense for a reinstatement. The policy and dates of test_grace_boundary, paying by direct debit."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from lifecrm.billing.debits.export import debit_export
from lifecrm.billing.debits.imports import bank_file_import
from lifecrm.billing.models import Collection
from lifecrm.billing.selectors import suspense_balance
from lifecrm.billing.tests.test_grace_boundary import (
    DAY,
    DUE,
    GRACE_END,
    PREMIUM,
    batch,
    journal,
    no_reinstatement,
    premium_paid,
    state,
)
from lifecrm.core.actors import system
from tests.factories import make_customer, make_mandate, make_org, make_policy, make_product, make_staff

pytestmark = pytest.mark.django_db
BANK_IMPORT = system("bank-import")


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture(params=["CN", "HK", "TW"])
def debit_case(request):
    """(policy, G, collection): the premium due 30 Sep sent to the bank by direct debit, no answer yet; the policy
    in grace since 1 Oct after the batch of that day ran."""
    jurisdiction = request.param
    org = make_org()
    agent = make_staff("agent", org.team_a)
    owner = make_customer(branch=org.branch_a, agent=agent)
    product = make_product(code=f"TERM-{jurisdiction}", jurisdiction_id=jurisdiction)
    policy = make_policy(owner=owner, agent=agent, branch=org.branch_a, issue_date=date(2026, 6, 30),
                         as_of=date(2026, 6, 30), product=product, premium_mode="quarterly",
                         payment_method="auto_debit")
    make_mandate(policy)
    day = DUE - timedelta(days=10)
    while not Collection.objects.filter(due_item__policy=policy).exists():  # the export's lead time, per calendar
        assert day < DUE, "no export of the premium due 30 Sep"
        batch(day)
        debit_export(as_of=day)
        day += DAY
    batch(DUE + DAY)
    assert state(policy) == ("grace", DUE + DAY)
    collection = Collection.objects.get(due_item__policy=policy)
    assert collection.amount == PREMIUM and collection.status == "sent"
    return policy, GRACE_END[jurisdiction], collection


def pain002(collection, value_date: date) -> bytes:
    currency = collection.due_item.currency
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">
  <CstmrPmtStsRpt>
    <GrpHdr><MsgId>PSR-{collection.pk}-{value_date:%Y%m%d}</MsgId><CreDtTm>{value_date}T18:05:00+08:00</CreDtTm></GrpHdr>
    <OrgnlGrpInfAndSts>
      <OrgnlMsgId>{collection.export_file.message_id}</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId>
    </OrgnlGrpInfAndSts>
    <OrgnlPmtInfAndSts>
      <OrgnlPmtInfId>{collection.export_file.message_id}-{collection.collection_date:%Y%m%d}</OrgnlPmtInfId>
      <TxInfAndSts>
        <OrgnlEndToEndId>{collection.end_to_end_id}</OrgnlEndToEndId>
        <TxSts>ACSC</TxSts>
        <AccptncDtTm>{value_date}T09:00:00+08:00</AccptncDtTm>
        <OrgnlTxRef>
          <Amt><InstdAmt Ccy="{currency}">{collection.amount}</InstdAmt></Amt>
          <ReqdColltnDt>{collection.collection_date}</ReqdColltnDt>
        </OrgnlTxRef>
      </TxInfAndSts>
    </OrgnlPmtInfAndSts>
  </CstmrPmtStsRpt>
</Document>""".encode()


def camt054(collection, value_date: date) -> bytes:
    currency = collection.due_item.currency
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>NTF-{collection.pk}-{value_date:%Y%m%d}</MsgId><CreDtTm>{value_date}T20:30:00+08:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>NTF-{collection.pk}</Id>
      <Acct><Id><Othr><Id>110060149018010001234</Id></Othr></Id><Ccy>{currency}</Ccy></Acct>
      <Ntry>
        <Amt Ccy="{currency}">{collection.amount}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{value_date}</Dt></BookgDt>
        <ValDt><Dt>{value_date}</Dt></ValDt>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>PMDD</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{collection.end_to_end_id}</EndToEndId></Refs>
          <Amt Ccy="{currency}">{collection.amount}</Amt>
          <CdtDbtInd>CRDT</CdtDbtInd>
        </TxDtls></NtryDtls>
      </Ntry>
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>""".encode()


FILES = {"pain.002": pain002, "camt.054": camt054}


@pytest.mark.parametrize("file_format", sorted(FILES))
def test_a_debit_valued_on_the_last_day_of_grace_imported_after_the_suspension_undoes_it(debit_case, file_format):
    policy, g, collection = debit_case
    batch(g + DAY)
    assert state(policy) == ("suspended", g + DAY)
    report = bank_file_import(content=FILES[file_format](collection, g), filename=f"result.{file_format}.xml",
                              as_of=g + DAY, actor=BANK_IMPORT)
    assert report.paid == 1
    assert state(policy) == ("in_force", g) and premium_paid(policy)
    assert journal(policy)[-2:] == [("suspended", g + DAY), ("suspension_undone", g)]
    assert no_reinstatement(policy) and suspense_balance(policy_id=policy.pk) == 0
    collection.refresh_from_db()
    assert (collection.status, collection.result_on) == ("paid", g)
    batch(g + 2 * DAY)  # the next batch leaves it alone
    assert state(policy) == ("in_force", g)


@pytest.mark.parametrize("file_format", sorted(FILES))
def test_a_debit_valued_the_day_after_grace_leaves_the_policy_suspended(debit_case, file_format):
    policy, g, collection = debit_case
    batch(g + DAY)
    batch(g + 2 * DAY)
    report = bank_file_import(content=FILES[file_format](collection, g + DAY), filename=f"late.{file_format}.xml",
                              as_of=g + 2 * DAY, actor=BANK_IMPORT)
    assert report.paid == 1
    assert state(policy) == ("suspended", g + DAY) and not premium_paid(policy)
    assert journal(policy)[-1] == ("suspended", g + DAY)
    assert suspense_balance(policy_id=policy.pk) == PREMIUM  # waits for a reinstatement
