"""Org units (HQ → branch → team), staff members with their role, and sales agents' books."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class OrgUnit(models.Model):
    class Kind(models.TextChoices):
        HQ = "hq", _("head office")
        BRANCH = "branch", _("branch")
        TEAM = "team", _("team")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    # Materialised path of ids, "/1/4/17/": a subtree is one indexed prefix match.
    path = models.CharField(_("path"), max_length=200, db_index=True)
    jurisdiction = models.ForeignKey("core.Jurisdiction", on_delete=models.PROTECT, default="CN")
    city = models.CharField(_("city"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def local_name(self) -> str:
        """Its English name in English (when it has one), else its own name: what a form or a message shows."""
        return self.name_en if self.name_en and (get_language() or "").startswith("en") else self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class Staff(models.Model):
    """A staff member: a login, a role and an org unit. Sales agents are staff with role AGENT."""

    class Role(models.TextChoices):
        HQ = "hq", _("HQ service management")
        BRANCH = "branch", _("branch manager")
        COUNTER = "counter", _("counter staff")
        CALLCENTRE = "callcentre", _("call-centre agent")
        CLAIMS = "claims", _("claims handler")
        AGENT = "agent", _("sales agent")
        ADMIN = "admin", _("administrator")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    employee_no = models.CharField(_("employee number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_romanised = models.CharField(_("romanised name"), max_length=80, blank=True)
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="staff")
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # the language of the messages the system sends them (SLA alerts); blank: their jurisdiction's
    preferred_language = models.CharField(_("preferred language"), max_length=8, blank=True,
                                          choices=settings.LANGUAGES)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["employee_no"]
        indexes = [models.Index(fields=["role", "org_unit"], name="staff_role_unit_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_no})"
