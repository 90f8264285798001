"""The staff web UI: layout, search, customer 360, policy pages."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    name = "lifecrm.workbench"
    label = "workbench"
    verbose_name = _("Workbench")
