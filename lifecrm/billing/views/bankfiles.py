"""Billing's part of banking's bank-file pages, registered at ready(): the direct-debit result files it applies
(`register_result_importer`), the collections of a file on its page and the debits still without the bank's answer
(`register_file_section`), the debit files the bank has not answered in time above the list
(`register_list_panel`); and the bank's confirmation that it did not collect a file's unanswered debits (a POST
of billing's, answered on the file's page)."""
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django.views.generic import RedirectView

from lifecrm.banking.importers import FileHead, ImportDone, register_result_importer
from lifecrm.banking.models import BankFile
from lifecrm.banking.sections import register_file_section, register_list_panel
from lifecrm.banking.views.bankfiles import bank_file_page
from lifecrm.billing.debits import rules as debit_rules
from lifecrm.billing.debits.imports import bank_file_import
from lifecrm.billing.debits.unanswered import NotCollectedRefused, collections_declare_not_collected
from lifecrm.billing.forms import NotCollectedForm
from lifecrm.billing.views import pages
from lifecrm.org.access import Action, may, staff_page

SECTION = "billing"


def _is_debit_result(head: FileHead) -> bool:
    """The collection account's results: camt.054, the bank's CSV, a status report on one of our pain.008 files."""
    if head.format == BankFile.Format.PAIN_002:
        return head.original_message_id.startswith(debit_rules.MESSAGE_PREFIX)
    return head.format in (BankFile.Format.CAMT_054, BankFile.Format.CSV)


def _debit_results_apply(*, content: bytes, filename: str, as_of, file_format: str, actor,
                         head: FileHead | None = None) -> ImportDone:
    report = bank_file_import(content=content, filename=filename, as_of=as_of, file_format=file_format, actor=actor,
                              head=head)
    return ImportDone(report.bank_file, report.already_imported, "billing/partials/bank_file_import.html",
                      {"outcome": pages.import_outcome(report)})


register_result_importer("billing.debits", _is_debit_result, _debit_results_apply)


@register_list_panel(SECTION)
def debits_awaiting_panel(*, request, as_of) -> str:
    awaiting = pages.debits_awaiting_results(as_of=as_of)
    if not awaiting:
        return ""
    return render_to_string("billing/partials/bank_files_awaiting.html", {"awaiting": awaiting}, request=request)


@register_file_section(SECTION)
def collections_section(*, request, bank_file: BankFile, as_of, state) -> str:
    page = pages.bank_file_detail(bank_file=bank_file, as_of=as_of)
    if page is None:
        return ""
    declared = request.GET.get("declared", "")  # ASCII digits only: "²".isdigit() is true, int("²") fails
    return render_to_string("billing/partials/bank_file_collections.html", {
        "page": page, "as_of": as_of, "not_collected_form": (state or {}).get("form") or NotCollectedForm(),
        "declared": int(declared) if declared.isascii() and declared.isdigit() and len(declared) <= 9 else None,
        "may_declare": may(request.scope, Action.DECLARE_NOT_COLLECTED),
    }, request=request)


@require_http_methods(["POST"])
@staff_page(Action.DECLARE_NOT_COLLECTED)
def bank_file_not_collected(request, bank_file_id: int):
    """The bank confirms it did not collect this file's unanswered debits: they are presented again."""
    form = NotCollectedForm(request.POST)
    if not form.is_valid():
        return bank_file_page(request, bank_file_id, status=400, state={SECTION: {"form": form}})
    try:
        closed = collections_declare_not_collected(actor=request.user, export_file_id=bank_file_id,
                                                   reference=form.cleaned_data["reference"],
                                                   as_of=timezone.localdate())
    except NotCollectedRefused as exc:
        form.add_error(None, str(exc))
        return bank_file_page(request, bank_file_id, status=409, state={SECTION: {"form": form}})
    return redirect(f"{reverse('banking:bank-file', args=[bank_file_id])}?declared={closed}")


def moved(pattern_name: str):
    """The old address of a bank-file page (/billing/bank-files/…): a permanent redirect to banking's, for those who
    may see the page."""
    return staff_page(Action.VIEW_BANK_FILES)(
        RedirectView.as_view(pattern_name=pattern_name, permanent=True, query_string=True))
