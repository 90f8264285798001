"""Customers: persons and organisations, contact data, consent, relationships."""
from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class PartiesConfig(AppConfig):
    name = "lifecrm.parties"
    label = "parties"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from lifecrm.core.generator import register_derived
        from lifecrm.core.keys import register_keyed_hash
        from lifecrm.parties import generator, privacy, services  # noqa: F401  generator steps, PIPL sections, path copy
        from lifecrm.parties.models import Entitlement
        from lifecrm.parties.reference_data import entitlements_changed, load_entitlements

        register_derived("parties.CustomerSegment")  # the value engine's, from the book: replaced with it

        post_migrate.connect(load_entitlements, sender=self, dispatch_uid="lifecrm.parties.entitlements")
        # the entitlement table is cached per process as reference data: a change raises its version
        post_save.connect(entitlements_changed, sender=Entitlement, dispatch_uid="lifecrm.parties.entitlements.saved")
        post_delete.connect(entitlements_changed, sender=Entitlement,
                            dispatch_uid="lifecrm.parties.entitlements.deleted")

        # `rotate-keys --hash` recomputes the searchable digest of the encrypted ID number
        register_keyed_hash("parties.Customer", digest_field="id_number_digest", source_field="id_number")
