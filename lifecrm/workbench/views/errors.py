"""Error pages that never show a stack trace."""
from django.shortcuts import render

from lifecrm.workbench.access import WorkbenchForbidden


def forbidden(request, exception=None):
    # Only refusals written for staff carry their message to the page; anything else stays generic.
    message = exception.user_message if isinstance(exception, WorkbenchForbidden) else ""
    return render(request, "workbench/error.html", {"code": 403, "message": message}, status=403)


def not_found(request, exception=None):
    return render(request, "workbench/error.html", {"code": 404}, status=404)


def server_error(request):
    return render(request, "workbench/error.html", {"code": 500}, status=500)
