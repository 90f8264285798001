"""Every app's bank files: the list (with the apps' panels) and the upload of a bank's result file, one file's page
(with the apps' sections). What a file's lines did is the apps' (`banking.sections`); which app applies a result
file, `banking.importers`."""
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from lifecrm.banking.errors import BankFileRejected
from lifecrm.banking.forms import BankFileForm
from lifecrm.banking.importers import result_file_import
from lifecrm.banking.sections import file_sections, list_panels
from lifecrm.banking.views import pages
from lifecrm.org.access import AccessDenied, Action, may, staff_page

IMPORT_REFUSED = _("Only head office imports a bank's result file: it answers for the whole company's payments.")


def _list(request, form, *, status=200, rejected=None):
    as_of = timezone.localdate()
    return render(request, "banking/bank_files.html", {
        "form": form, "files": pages.recent_files(), "rejected": rejected, "as_of": as_of,
        "panels": [html for panel in list_panels().values() if (html := panel(request=request, as_of=as_of))],
        "may_import": may(request.scope, Action.IMPORT_BANK_FILE),
    }, status=status)


@require_http_methods(["GET", "POST"])
@staff_page(Action.VIEW_BANK_FILES)
def bank_files(request):
    if request.method == "GET":
        return _list(request, BankFileForm())
    if not may(request.scope, Action.IMPORT_BANK_FILE):
        raise AccessDenied(IMPORT_REFUSED)
    form = BankFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list(request, form, status=400)
    upload = form.cleaned_data["file"]
    file_format = form.cleaned_data["file_format"]
    as_of = timezone.localdate()
    try:
        done = result_file_import(content=upload.read(), filename=upload.name or "upload", as_of=as_of,
                                  file_format=file_format, actor=request.user)
    except BankFileRejected as exc:
        return _list(request, BankFileForm(initial={"file_format": file_format}), status=400,
                     rejected={"filename": upload.name, "where": exc.localised_where(),
                               "reason": exc.localised_reason()})
    return render(request, "banking/bank_file_import.html", {
        "done": done, "row": pages.row_of(done.bank_file), "as_of": as_of})


def bank_file_page(request, bank_file_id: int, *, status: int = 200, state: dict | None = None):
    """A file's page, with the apps' sections; `state` hands an app's section what its own form answered (a POST
    of the app's, refused: its errors), by the section's name."""
    as_of = timezone.localdate()
    row = pages.file_row(bank_file_id)  # 404 for an unknown file
    sections = [render_section(request=request, bank_file=row.bank_file, as_of=as_of, state=(state or {}).get(name))
                for name, render_section in file_sections().items()]
    return render(request, "banking/bank_file.html", {
        "row": row, "sections": [html for html in sections if html], "as_of": as_of}, status=status)


@staff_page(Action.VIEW_BANK_FILES)
def bank_file(request, bank_file_id: int):
    return bank_file_page(request, bank_file_id)
