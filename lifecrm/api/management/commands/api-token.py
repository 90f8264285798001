"""`lifecrm api-token USERNAME [--hours N] [--revoke]`: an API token for a staff member's login, printed once.

Only the token's hash is stored (django-rest-knox); it expires after --hours (default
settings.LIFECRM_API_TOKEN_HOURS). `--revoke` deletes every token of the login instead. The login must
belong to an active staff member, and a superuser gets no token: an API token is a staff member's own key,
never a way to act as the whole system.
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from knox.models import AuthToken

from lifecrm.core.actors import system
from lifecrm.core.models import AuditEvent
from lifecrm.core.services import audit_record
from lifecrm.org.models import Staff


class Command(BaseCommand):
    help = "Create an expiring API token for a staff member's login (printed once), or revoke its tokens."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--hours", type=int, default=None,
                            help="hours until the token expires (default LIFECRM_API_TOKEN_HOURS)")
        parser.add_argument("--revoke", action="store_true", help="delete every token of this login")

    def handle(self, *args, username: str, hours: int | None, revoke: bool, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no login named {username!r}")
        if revoke:
            with transaction.atomic():
                count, _ = AuthToken.objects.filter(user=user).delete()
                audit_record(actor=system("api-token"), action=AuditEvent.Action.UPDATE, object_type="api.token",
                             object_id=user.pk, field="revoked", after={"tokens": count})
            self.stdout.write(f"Revoked {count} token(s) of {username}.")
            return
        if not user.is_active:
            raise CommandError(f"the login {username!r} is inactive")
        if user.is_superuser:
            raise CommandError(f"{username!r} is a superuser: API tokens are for staff members' own logins only")
        if not Staff.objects.filter(user=user, is_active=True).exists():
            raise CommandError(f"the login {username!r} has no active staff record: API tokens are for staff only")
        hours = settings.LIFECRM_API_TOKEN_HOURS if hours is None else hours
        if hours <= 0:
            raise CommandError("--hours must be a positive number")
        with transaction.atomic():
            token, key = AuthToken.objects.create(user=user, expiry=timedelta(hours=hours))
            audit_record(actor=system("api-token"), action=AuditEvent.Action.CREATE, object_type="api.token",
                         object_id=user.pk, after={"token_key": token.token_key, "expiry": token.expiry.isoformat()})
        self.stdout.write(f"Token for {username} (expires {token.expiry:%Y-%m-%d %H:%M %Z}; shown only now):")
        self.stdout.write(key)
