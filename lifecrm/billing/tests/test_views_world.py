"""A small collection world shared by the billing page, API and work-list tests (no tests of its own).

Import the fixtures by their function names (`world_fixture`, `business_date_fixture`, `outbox_fixture`);
pytest knows them as `world`, `business_date` and `outbox`.

Two branches, one login per role, three monthly policies issued 31 Aug 2026 (the first premium paid at
issue, the next due Wed 30 Sep 2026) and the daily batch run to 10 Oct 2026: every policy is in grace
with one premium of 120.50 overdue, the agent has a phone task on policy_a, and policy_b (no agent,
branch B) and policy_q (no agent, branch A) sit in the call-centre queue.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from lifecrm.org.models import Staff
from lifecrm.policies.models import Policy
from tests.factories import Org, make_customer, make_org, make_policy, make_staff, make_staff_per_role

AS_OF = date(2026, 10, 10)
PREMIUM = Decimal("120.50")
ROLES = ("hq", "branch", "counter", "callcentre", "claims", "agent")


@dataclass
class World:
    org: Org
    staff: dict[str, Staff]  # by role (branch A, the agent in team A), plus "branch_b" and "agent_other"
    policy_a: Policy  # the agent's book, branch A (team A)
    policy_q: Policy  # branch A, no agent: its agent call goes to the call-centre queue
    policy_b: Policy  # branch B, no agent

    def refresh(self) -> World:
        for name in ("policy_a", "policy_q", "policy_b"):
            getattr(self, name).refresh_from_db()
        return self


def run_daily(day: date, since: date | None = None) -> None:
    call_command("run-daily", as_of=str(day), from_date=since and str(since), no_progress=True)


def build_world(*, as_of: date = AS_OF) -> World:
    org = make_org()
    staff = make_staff_per_role(org, counter_unit=org.team_a) | {
        "callcentre_hq": make_staff("callcentre", org.hq, name="总部座席"),
    }
    issue = {"issue_date": date(2026, 8, 31), "as_of": date(2026, 8, 31)}
    owner_a = make_customer(branch=org.team_a, agent=staff["agent"], name="王小明", mobile_phone="13800138000")
    owner_q = make_customer(branch=org.branch_a, name="李四", mobile_phone="13800138001")
    owner_b = make_customer(branch=org.branch_b, name="王美丽", sex="F", mobile_phone="13900139000")
    world = World(
        org=org, staff=staff,
        policy_a=make_policy(owner=owner_a, agent=staff["agent"], branch=org.team_a, **issue),
        policy_q=make_policy(owner=owner_q, agent=None, branch=org.branch_a, **issue),
        policy_b=make_policy(owner=owner_b, agent=None, branch=org.branch_b, **issue),
    )
    if as_of > date(2026, 9, 1):
        run_daily(as_of)
    return world.refresh()


@pytest.fixture(name="outbox")
def outbox_fixture(settings, tmp_path):
    """The ladder's SMS and letters go to a temporary outbox."""
    settings.LIFECRM_SMS_OUTBOX = tmp_path / "sms"
    settings.LIFECRM_LETTER_OUTBOX = tmp_path / "letters"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "en"  # assertions read the English source strings
    return tmp_path


@pytest.fixture(name="world")
def world_fixture(db, outbox, business_date) -> World:
    return build_world()


@pytest.fixture(name="business_date")
def business_date_fixture(monkeypatch):
    """Pin the business date the pages read (`timezone.localdate()` at the view edge)."""

    def pin(day: date = AS_OF) -> date:
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)
        return day

    pin()
    return pin
