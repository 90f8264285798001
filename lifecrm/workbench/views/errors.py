"""Error pages that never show a stack trace, in the user's language (Django's own are English only).

The 400, 403 and 404 pages render in the site's layout with the request (a 403 may carry a refusal written
for the staff member; a refused CSRF token is a 403 that says to reload the form). The 500 page renders
without the request and its context processors: it needs no database (which may be what failed), no
session and no login, only the template and the language the locale middleware activated.
"""
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from lifecrm.org.access import AccessDenied


def bad_request(request, exception=None):
    return render(request, "workbench/error.html", {"code": 400}, status=400)


def forbidden(request, exception=None):
    # Only refusals written for staff carry their message to the page; anything else stays generic.
    message = exception.user_message if isinstance(exception, AccessDenied) else ""
    return render(request, "workbench/error.html", {"code": 403, "message": message}, status=403)


def csrf_failure(request, reason=""):
    """A form sent without a valid CSRF token (an old tab, cookies off): the project's 403, saying what to do."""
    message = _("The form had expired or came from elsewhere. Go back, reload the page and send it again.")
    return render(request, "workbench/error.html", {"code": 403, "message": message}, status=403)


def not_found(request, exception=None):
    return render(request, "workbench/error.html", {"code": 404}, status=404)


def server_error(request=None):
    return HttpResponseServerError(loader.get_template("workbench/error.html").render({"code": 500}))
