"""The organisation: HQ → branches → teams, staff, roles and data scope."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "lifecrm.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from lifecrm.org import generator  # noqa: F401  registers the book generator steps
        from lifecrm.org.logins import connect_signals

        connect_signals()  # logins, logouts and failed logins go into the audit trail
