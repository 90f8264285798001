"""Error pages that never show a stack trace, in the user's language.

The 403 and 404 pages render in the site's layout with the request (a 403 may carry a refusal written for
the staff member). The 500 page renders without the request and its context processors: it needs no
database (which may be what failed), no session and no login, only the template and the active language.
"""
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from lifecrm.org.access import AccessDenied


def forbidden(request, exception=None):
    # Only refusals written for staff carry their message to the page; anything else stays generic.
    message = exception.user_message if isinstance(exception, AccessDenied) else ""
    return render(request, "workbench/error.html", {"code": 403, "message": message}, status=403)


def not_found(request, exception=None):
    return render(request, "workbench/error.html", {"code": 404}, status=404)


def server_error(request):
    return HttpResponseServerError(loader.get_template("workbench/error.html").render({"code": 500}))
