"""Filters of customer lists (one FilterSet serves the API list and, later, the workbench list)."""
from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from lifecrm.org.filtersets import IdFilter, OrgUnitSubtreeFilter, TextFilter
from lifecrm.parties.models import Customer
from lifecrm.parties.selectors import customer_search_filter


class CustomerFilterSet(django_filters.FilterSet):
    branch = OrgUnitSubtreeFilter(
        field_name="branch_path", label=_("org unit: its customers and those of every unit under it")
    )
    agent = IdFilter(field_name="servicing_agent_id", label=_("servicing agent (staff id)"))
    kind = django_filters.ChoiceFilter(choices=Customer.Kind.choices)
    number = TextFilter(method="filter_number", label=_("customer number (exact)"))
    q = TextFilter(
        method="filter_q", label=_(
            "search: an exact phone number (country code or not), ID number, customer number or e-mail; "
            "else a name prefix (Chinese in either script, or romanised); else a part of the address"
        )
    )

    class Meta:
        model = Customer
        fields = ["branch", "agent", "kind", "number", "q"]

    def filter_number(self, queryset, name, value: str):
        return queryset.filter(number=value.strip().upper())

    def filter_q(self, queryset, name, value: str):
        return customer_search_filter(customers=queryset, query=value)
