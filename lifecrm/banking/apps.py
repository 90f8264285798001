"""ISO 20022 bank files for every app: formats, XSD validation, idempotency by content hash, encrypted storage."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BankingConfig(AppConfig):
    name = "lifecrm.banking"
    label = "banking"
    verbose_name = _("Bank files")

    def ready(self) -> None:
        from lifecrm.banking import jobs  # noqa: F401  retention purge, key rotation of the files on disk
