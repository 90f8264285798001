"""Bank result files: upload a pain.002, camt.054 or CSV file, read what the import did, list recent files."""
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from lifecrm.banking.errors import BankFileRejected
from lifecrm.billing.debits.imports import bank_file_import
from lifecrm.billing.debits.unanswered import NotCollectedRefused, collections_declare_not_collected
from lifecrm.billing.forms import BankFileForm, NotCollectedForm
from lifecrm.billing.views import pages
from lifecrm.org.access import AccessDenied, Action, may, staff_page

IMPORT_REFUSED = _("Only head office imports a bank's result file: it holds the whole company's debits.")


def _list(request, form, *, status=200, rejected=None):
    as_of = timezone.localdate()
    return render(request, "billing/bank_files.html", {
        "form": form, "files": pages.recent_bank_files(), "rejected": rejected, "as_of": as_of,
        "awaiting": pages.debits_awaiting_results(as_of=as_of),
        "may_import": may(request.scope, Action.IMPORT_BANK_FILE),
    }, status=status)


@require_http_methods(["GET", "POST"])
@staff_page(Action.MANAGE_COLLECTION)
def bank_files(request):
    if request.method == "GET":
        return _list(request, BankFileForm())
    if not may(request.scope, Action.IMPORT_BANK_FILE):
        raise AccessDenied(IMPORT_REFUSED)
    form = BankFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list(request, form, status=400)
    upload = form.cleaned_data["file"]
    as_of = timezone.localdate()
    try:
        report = bank_file_import(content=upload.read(), filename=upload.name or "upload", as_of=as_of,
                                  file_format=form.cleaned_data["file_format"], actor=request.user)
    except BankFileRejected as exc:
        return _list(request, BankFileForm(initial={"file_format": form.cleaned_data["file_format"]}), status=400,
                     rejected={"filename": upload.name, "where": exc.localised_where(),
                               "reason": exc.localised_reason()})
    return render(request, "billing/bank_file_report.html", {"outcome": pages.import_outcome(report), "as_of": as_of})


def _detail(request, bank_file_id: int, *, form=None, status=200, declared=None):
    as_of = timezone.localdate()
    page = pages.bank_file_detail(bank_file_id=bank_file_id, as_of=as_of)  # 404 for an unknown file
    return render(request, "billing/bank_file.html", {
        "page": page, "as_of": as_of, "not_collected_form": form or NotCollectedForm(), "declared": declared,
        "may_declare": may(request.scope, Action.DECLARE_NOT_COLLECTED),
    }, status=status)


@staff_page(Action.MANAGE_COLLECTION)
def bank_file(request, bank_file_id: int):
    declared = request.GET.get("declared", "")  # ASCII digits only: "²".isdigit() is true, int("²") fails
    return _detail(request, bank_file_id,
                   declared=int(declared) if declared.isascii() and declared.isdigit() and len(declared) <= 9 else None)


@require_http_methods(["POST"])
@staff_page(Action.DECLARE_NOT_COLLECTED)
def bank_file_not_collected(request, bank_file_id: int):
    """The bank confirms it did not collect this file's unanswered debits: they are presented again."""
    form = NotCollectedForm(request.POST)
    if not form.is_valid():
        return _detail(request, bank_file_id, form=form, status=400)
    try:
        closed = collections_declare_not_collected(actor=request.user, export_file_id=bank_file_id,
                                                   reference=form.cleaned_data["reference"],
                                                   as_of=timezone.localdate())
    except NotCollectedRefused as exc:
        form.add_error(None, str(exc))
        return _detail(request, bank_file_id, form=form, status=409)
    return redirect(f"{reverse('billing:bank-file', args=[bank_file_id])}?declared={closed}")
