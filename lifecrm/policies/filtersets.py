"""Filters of policy lists (one FilterSet serves the API list and, later, the workbench list)."""
from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from lifecrm.org.filtersets import IdFilter, OrgUnitSubtreeFilter, TextFilter
from lifecrm.policies.models import STATUS_CHOICES, Policy


class PolicyFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES)
    product = IdFilter(field_name="product_id", label=_("product (id)"))
    owner = IdFilter(field_name="owner_id", label=_("owner (customer id)"))
    agent = IdFilter(field_name="agent_id", label=_("sales agent (staff id)"))
    branch = OrgUnitSubtreeFilter(
        field_name="branch_path", label=_("org unit: its policies and those of every unit under it")
    )
    number = TextFilter(method="filter_number", label=_("policy number (exact)"))
    issue_date = django_filters.DateFromToRangeFilter(label=_("issue date between (inclusive)"))

    class Meta:
        model = Policy
        fields = ["status", "product", "owner", "agent", "branch", "number", "issue_date"]

    def filter_number(self, queryset, name, value: str):
        return queryset.filter(number=value.strip().upper())
