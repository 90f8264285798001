"""What the apps add to banking's bank-file pages, registered at their ready() (banking imports no app).

- `register_file_section(name)`: `render(request=, bank_file=, as_of=, state=)` → the HTML of the app's section on
  a file's page (billing: the collections of its debit file or of the bank's answer, and the debits still without
  an answer), or "" for a file none of its lines are in. `state` is what the app's own form handed back to the
  page (its errors), keyed by the section's name.
- `register_list_panel(name)`: `render(request=, as_of=)` → the HTML of the app's panel above the list of files
  (billing: the debit files the bank has not answered in time), or "".
A renderer reads with the page's grant already checked (the page's `staff_page`) and checks any further grant its
section needs itself.
"""
from __future__ import annotations

from collections.abc import Callable

FileSection = Callable[..., str]
ListPanel = Callable[..., str]

_sections: dict[str, FileSection] = {}
_panels: dict[str, ListPanel] = {}


def _registrar(registry: dict, what: str, name: str):
    def decorator(func):
        if registry.get(name, func) is not func:
            raise ValueError(f"a bank-file {what} {name!r} is registered already")
        registry[name] = func
        return func

    return decorator


def register_file_section(name: str):
    """Register the section `name` of a bank file's page (rendered in the order of registration)."""
    return _registrar(_sections, "section", name)


def register_list_panel(name: str):
    """Register the panel `name` above the list of bank files."""
    return _registrar(_panels, "panel", name)


def file_sections() -> dict[str, FileSection]:
    return dict(_sections)


def list_panels() -> dict[str, ListPanel]:
    return dict(_panels)
