"""`lifecrm demo-setup`: generate the demo book (with its first daily batch and each app's demo cases) if none
exists, and give every staff role a login."""
from __future__ import annotations

import os
import secrets
from datetime import date

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count

from lifecrm.core.actors import DEMO_SETUP
from lifecrm.core.commands import parse_date, refuse_outside_dev_or_test
from lifecrm.core.registries import demo_steps
from lifecrm.org.models import OrgUnit, Staff
from lifecrm.org.services import admin_site_access_set, staff_create

# login -> (role, where the login sits: "hq" or "branch"); the agent, call-centre and counter logins take over a
# generated staff member of their role there, with the book's work (customers, queue memberships, cases).
DEMO_LOGINS = {
    "demo-hq": ("hq", "hq"),
    "demo-branch": ("branch", "branch"),
    "demo-counter": ("counter", "branch"),
    "demo-callcentre": ("callcentre", "hq"),
    "demo-claims": ("claims", "branch"),
    "demo-agent": ("agent", None),
    "demo-admin": ("admin", "hq"),  # the administrator: logins, staff records, the admin site
}
TAKEN_OVER = ("callcentre", "counter")  # roles whose login takes over a generated staff member when there is one


class Command(BaseCommand):
    help = "Generate the demo book (if the database has none) and create one login per staff role."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--as-of", dest="as_of", help="business date of the demo, YYYY-MM-DD (default today)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, customers: int, seed: int, as_of: str | None = None, no_progress: bool = False,
               **options):
        refuse_outside_dev_or_test("demo-setup", "creates demo logins with a printed password and a generated book")
        progress = not no_progress
        if customers <= 0:
            raise CommandError("--customers must be a positive number")
        # the CLI edge: the demo's business date is today unless given
        day = parse_date(as_of, "--as-of") if as_of else date.today()  # noqa: DTZ011
        if not OrgUnit.objects.exists():
            as_of = day.isoformat()
            self.stdout.write(f"Generating a demo book of {customers:,} customers…")
            call_command("seed", customers=customers, seed=seed, as_of=as_of, no_progress=not progress,
                         stdout=self.stdout)
            # The day's batch, so that the book has reminders, phone tasks on the work lists and letters to print.
            self.stdout.write(f"Running the daily batch for {as_of}…")
            call_command("run-daily", as_of=as_of, no_progress=not progress, stdout=self.stdout)
            # And its print run, as cron would after the batch: the day's letters as PDFs in the letter outbox.
            call_command("print-letters", as_of=as_of, no_progress=not progress, stdout=self.stdout)
            # Each app's demo cases, so that every page has something real (money in suspense, a bank result file).
            for step in demo_steps.ordered():
                for line in step.func(as_of=day):
                    self.stdout.write(f"{step.name}: {line}")
        password = os.environ.get("LIFECRM_DEMO_PASSWORD")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        with transaction.atomic():
            self._create_logins(password)
        self.stdout.write("")
        self.stdout.write("Logins: " + ", ".join(DEMO_LOGINS))
        if generated:
            self.stdout.write(f"Password (generated; set LIFECRM_DEMO_PASSWORD to choose one): {password}")
        else:
            self.stdout.write("Password: the value of LIFECRM_DEMO_PASSWORD")
        self.stdout.write("Open http://127.0.0.1:8000/ — API schema at http://127.0.0.1:8000/api/schema/")

    def _create_logins(self, password: str) -> None:
        users = get_user_model().objects
        hq = OrgUnit.objects.filter(kind=OrgUnit.Kind.HQ).order_by("path").first()
        branch = OrgUnit.objects.filter(kind=OrgUnit.Kind.BRANCH).order_by("path").first()
        if hq is None or branch is None:
            raise CommandError("the database has no head office or branch: run `lifecrm seed` first")
        for username, (role, place) in DEMO_LOGINS.items():
            user, _ = users.get_or_create(username=username)
            user.set_password(password)
            user.save()
            # Nobody is a superuser: demo-hq edits reference data, demo-admin administers (org.rules).
            admin_site_access_set(actor=DEMO_SETUP, user=user, role=role)
            if Staff.objects.filter(user=user).exists():
                continue
            if role == "agent":
                agent = (
                    Staff.objects.filter(role=role, user__isnull=True, org_unit__path__startswith=branch.path)
                    .annotate(customers=Count("book"))
                    .order_by("-customers", "employee_no")
                    .first()
                )
                if agent is None:
                    raise CommandError("the book has no sales agent to attach demo-agent to")
                agent.user = user
                agent.save(update_fields=["user"])
                continue
            if role in TAKEN_OVER:
                # the generator put its call-centre and counter staff in the service desk's queues: a login of its
                # own would see empty desks
                unit = hq if place == "hq" else branch
                generated = (Staff.objects.filter(role=role, user__isnull=True, is_active=True, org_unit=unit)
                             .order_by("employee_no").first()
                             or Staff.objects.filter(role=role, user__isnull=True, is_active=True,
                                                     org_unit__path__startswith=unit.path)
                             .order_by("employee_no").first())
                if generated is not None:
                    generated.user = user
                    generated.save(update_fields=["user"])
                    continue
            staff_create(
                actor=DEMO_SETUP, employee_no=username.upper(), name=username, role=role,
                org_unit=hq if place == "hq" else branch, user=user,
            )
