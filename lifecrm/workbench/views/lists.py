"""The further pages of a page's long lists (the 360's relationships, policies and timeline, a policy's journal)."""
from django.shortcuts import render

from lifecrm.workbench.forms import SearchForm


def list_response(request, *, title, template: str, context: dict, back_url: str, back_label: str,
                  back_number: str = ""):
    """A further page of one of a page's long lists: the list's fragment for htmx, else a page of its own."""
    if request.htmx:
        return render(request, template, context)
    return render(request, "workbench/list_page.html", {
        **context, "list_title": title, "list_template": template, "form": SearchForm(),
        "back_url": back_url, "back_label": back_label, "back_number": back_number,
    })
