"""Service desk: interactions on every channel, cases (inquiry, request, complaint, emergency assistance), SLA
clocks, routing, care events and satisfaction surveys."""
from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _load_case_types(sender, using="default", **kwargs) -> None:
    from lifecrm.core.reference_data import migrated
    from lifecrm.service.models import CaseType
    from lifecrm.service.reference_data import load_case_types

    if migrated(CaseType, using):  # a partial `migrate` may stop before this app's tables exist
        load_case_types(using=using)


def _load_sla_defaults(sender, using="default", **kwargs) -> None:
    from lifecrm.core.reference_data import migrated
    from lifecrm.service.models import SlaPolicy
    from lifecrm.service.reference_data import load_sla_defaults

    if migrated(SlaPolicy, using):
        load_sla_defaults(using=using)


def _load_care_rules(sender, using="default", **kwargs) -> None:
    from lifecrm.core.reference_data import migrated
    from lifecrm.service.models import CareRule
    from lifecrm.service.reference_data import load_care_rules

    if migrated(CareRule, using):
        load_care_rules(using=using)


class ServiceConfig(AppConfig):
    name = "lifecrm.service"
    label = "service"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from lifecrm.core.generator import register_derived
        from lifecrm.service import generator, jobs, paths, surveys, timeline, work  # noqa: F401  (registrations)

        register_derived("service.SlaAlert")  # the sweep's, from the generated cases: replaced with the book
        register_derived("service.CaseAttachment")
        register_derived("service.ComplaintDecision")  # made on a generated complaint: replaced with the book

        post_migrate.connect(_load_case_types, sender=self, dispatch_uid="lifecrm.service.case_types")
        post_migrate.connect(_load_sla_defaults, sender=self, dispatch_uid="lifecrm.service.sla_defaults")
        post_migrate.connect(_load_care_rules, sender=self, dispatch_uid="lifecrm.service.care_rules")
