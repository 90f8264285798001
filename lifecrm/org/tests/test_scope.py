"""Data scope: from role and unit to what a login sees; the materialised path keeps sibling units apart."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from lifecrm.core.models import Jurisdiction
from lifecrm.org.models import OrgUnit
from lifecrm.org.rules import DataScope, ScopeKind, may_reveal_id, scope_for
from lifecrm.org.selectors import NO_SCOPE, data_scope_for_user, staff_for_user, units_in_scope
from lifecrm.parties.selectors import customers_in_scope
from tests.factories import make_customer, make_org, make_staff


class TestScopeFor:
    @pytest.mark.parametrize(
        ("role", "unit_kind", "kind"),
        [
            ("hq", "hq", ScopeKind.ALL),
            ("callcentre", "hq", ScopeKind.ALL),
            ("claims", "hq", ScopeKind.ALL),
            ("branch", "branch", ScopeKind.SUBTREE),
            ("counter", "team", ScopeKind.SUBTREE),
            ("callcentre", "branch", ScopeKind.SUBTREE),
            ("claims", "branch", ScopeKind.SUBTREE),
            ("hq", "branch", ScopeKind.SUBTREE),  # an HQ role posted to a branch sees that branch
            ("agent", "team", ScopeKind.OWN_BOOK),
            ("agent", "hq", ScopeKind.OWN_BOOK),  # an agent never sees more than the book
        ],
    )
    def test_kind(self, role, unit_kind, kind):
        scope = scope_for(role=role, unit_kind=unit_kind, unit_path="/1/2/", staff_id=7)
        assert scope == DataScope(kind, "/1/2/", 7, role)
        assert scope.sees_everything == (kind == ScopeKind.ALL)

    @pytest.mark.parametrize(
        ("role", "allowed"),
        [("hq", True), ("branch", True), ("counter", True), ("claims", True), ("callcentre", False),
         ("agent", False), ("", False)],
    )
    def test_who_may_reveal_an_id_number(self, role, allowed):
        assert may_reveal_id(DataScope(ScopeKind.SUBTREE, "/1/", 1, role)) is allowed


@pytest.mark.django_db
class TestSelectors:
    def test_scope_of_a_login(self):
        org = make_org()
        staff = make_staff("branch", org.branch_a)
        scope = data_scope_for_user(staff.user)
        assert scope == DataScope(ScopeKind.SUBTREE, org.branch_a.path, staff.pk, "branch")
        assert staff_for_user(staff.user) == staff

    def test_no_staff_inactive_staff_and_anonymous_see_nothing(self, django_user_model):
        org = make_org()
        assert data_scope_for_user(AnonymousUser()) == NO_SCOPE
        assert data_scope_for_user(django_user_model.objects.create_user("visitor")) == NO_SCOPE
        inactive = make_staff("hq", org.hq)
        inactive.is_active = False
        inactive.save(update_fields=["is_active"])
        user = django_user_model.objects.get(pk=inactive.user_id)
        assert data_scope_for_user(user) == NO_SCOPE
        assert list(customers_in_scope(NO_SCOPE)) == []
        assert list(units_in_scope(NO_SCOPE)) == []

    def test_units_in_scope(self):
        org = make_org()
        assert set(units_in_scope(DataScope(ScopeKind.ALL))) >= {org.hq, org.branch_a, org.team_b}
        assert set(units_in_scope(DataScope(ScopeKind.SUBTREE, org.branch_a.path))) == {org.branch_a, org.team_a}

    def test_sibling_units_with_a_common_id_prefix_stay_apart(self):
        """'/1/2/' must not match '/1/21/': the trailing slash is part of the prefix."""
        Jurisdiction.objects.get_or_create(code="CN", defaults={"name": "CN", "currency": "CNY",
                                                                "time_zone": "Asia/Shanghai"})
        unit_2 = OrgUnit.objects.create(code="U2", name="二", kind="branch", path="/1/2/")
        unit_21 = OrgUnit.objects.create(code="U21", name="二十一", kind="branch", path="/1/21/")
        in_2 = make_customer(branch=unit_2)
        make_customer(branch=unit_21)
        scope = DataScope(ScopeKind.SUBTREE, "/1/2/", None, "branch")
        assert list(customers_in_scope(scope)) == [in_2]
        assert list(units_in_scope(scope)) == [unit_2]
