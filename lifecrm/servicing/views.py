"""Servicing pages (placeholder; filled below)."""
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from lifecrm.org.access import Action, staff_page


@require_GET
@staff_page(Action.PROCESS_SERVICING)
def queue(request):
    return HttpResponse()


approvals = request_new = request_page = request_act = queue
