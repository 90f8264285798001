"""Bank result files: upload a pain.002, camt.054 or CSV file, read what the import did, list recent files."""
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from lifecrm.billing.bankfiles.errors import BankFileRejected
from lifecrm.billing.bankfiles.imports import bank_file_import
from lifecrm.billing.forms import BankFileForm, may_manage_collection
from lifecrm.billing.views import pages
from lifecrm.billing.views.access import collection_staff


def _list(request, form, *, status=200, rejected=None):
    as_of = timezone.localdate()
    return render(request, "billing/bank_files.html", {
        "form": form, "files": pages.recent_bank_files(), "rejected": rejected, "as_of": as_of,
        "awaiting": pages.debits_awaiting_results(as_of=as_of),
    }, status=status)


@require_http_methods(["GET", "POST"])
@collection_staff(may_manage_collection)
def bank_files(request):
    if request.method == "GET":
        return _list(request, BankFileForm())
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
                     rejected={"filename": upload.name, "where": exc.where, "reason": exc.reason})
    return render(request, "billing/bank_file_report.html", {"outcome": pages.import_outcome(report), "as_of": as_of})


@collection_staff(may_manage_collection)
def bank_file(request, bank_file_id: int):
    page = pages.bank_file_detail(bank_file_id=bank_file_id)
    return render(request, "billing/bank_file.html", {"page": page, "as_of": timezone.localdate()})
