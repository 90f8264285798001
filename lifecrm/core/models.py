"""Tables of the shared kernel: jurisdictions and their rules, calendars, audit trail, batch jobs."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lifecrm.core.rules import Unit


class Jurisdiction(models.Model):
    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    currency = models.CharField(_("currency"), max_length=3)
    time_zone = models.CharField(_("time zone"), max_length=40)
    # Weekly rest days, Monday = 0 ("5,6": Saturday and Sunday). In HK only Sunday is a general holiday
    # (Interpretation and General Clauses Ordinance, Cap. 1), so Saturday counts as a working day there.
    weekly_rest_days = models.CharField(_("weekly rest days"), max_length=13, default="5,6")

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def weekend(self) -> frozenset[int]:
        return frozenset(int(d) for d in self.weekly_rest_days.split(",") if d.strip())


class JurisdictionRule(models.Model):
    """One legal or business time limit (or amount) of one jurisdiction: DOMAIN.md as data."""

    UNIT_CHOICES = [
        (Unit.DAYS.value, _("calendar days")),
        (Unit.WORKING_DAYS.value, _("working days")),
        (Unit.MONTHS.value, _("months")),
        (Unit.YEARS.value, _("years")),
        (Unit.AMOUNT.value, _("amount")),
    ]
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="rules")
    key = models.SlugField(_("rule"), max_length=64)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=16, choices=UNIT_CHOICES)
    customer_deadline = models.BooleanField(
        _("customer's deadline"),
        default=False,
        help_text=_("A last day on a rest day moves to the next working day."),
    )
    trigger = models.CharField(_("counted from"), max_length=200)
    source = models.CharField(_("legal source"), max_length=300)

    class Meta:
        verbose_name = _("jurisdiction rule")
        verbose_name_plural = _("jurisdiction rules")
        ordering = ["jurisdiction", "key"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "key"], name="uniq_jurisdiction_rule")]

    def __str__(self) -> str:
        return f"{self.jurisdiction_id}/{self.key}: {self.quantity} {self.unit}"


class CalendarDay(models.Model):
    """An exception to the jurisdiction's week: a holiday on a working weekday or a make-up working day (调休)."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="calendar_days")
    day = models.DateField(_("date"))
    is_working_day = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=120, blank=True)
    is_override = models.BooleanField(
        _("manual override"), default=False, help_text=_("Entered by hand (e.g. a typhoon day); never replaced by a reload.")
    )

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["jurisdiction", "day"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "day"], name="uniq_calendar_day")]

    def __str__(self) -> str:
        return f"{self.jurisdiction_id} {self.day} {'work' if self.is_working_day else 'rest'} {self.name}"


class CalendarYear(models.Model):
    """One year of a jurisdiction's working calendar: where its days come from and whether they are published.

    A provisional year is foreseen (rule-based holidays, no make-up working days) until the authority publishes
    it (the State Council's notice for CN, the Gazette for HK, the DGPA's calendar for TW); a deadline falling
    in it says so wherever it is shown. A year with no row is not loaded: counting days in it is an error.
    """

    class Status(models.TextChoices):
        OFFICIAL = "official", _("official")
        PROVISIONAL = "provisional", _("provisional")

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="calendar_years")
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    source = models.CharField(_("source"), max_length=300)
    loaded_at = models.DateTimeField(_("loaded at"))

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["jurisdiction", "year"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "year"], name="uniq_calendar_year")]

    def __str__(self) -> str:
        return f"{self.jurisdiction_id} {self.year} {self.status}"


class ReferenceDataVersion(models.Model):
    """One row: a counter raised in the transaction of every change to jurisdictions, rules and calendars
    (and to the other apps' reference tables cached with `core.selectors.reference_cached`).

    Each process caches those tables (`core.selectors`) and compares its copy's counter with this row now and
    then (LIFECRM_REFERENCE_RECHECK_SECONDS), so an edit reaches every web process and worker without a restart.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.BigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("reference data version")
        verbose_name_plural = _("reference data versions")

    def __str__(self) -> str:
        return f"reference data v{self.value}"


class AppendOnlyModel(models.Model):
    """A row that is written once: updates and deletes raise."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} rows are append-only")


class AuditEvent(AppendOnlyModel):
    """Who did what to which row, when, with the values before and after; reveals of sensitive fields too."""

    class Action(models.TextChoices):
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        TRANSITION = "transition", _("status transition")
        REVEAL = "reveal", _("reveal of a sensitive field")
        LOGIN = "login", _("login")
        LOGOUT = "logout", _("logout")
        LOGIN_FAILED = "login_failed", _("failed login")
        UNLOCK = "unlock", _("login unlocked")

    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A program acting (core.actors.system: "run-daily", "bank-import"…) instead of a person; blank for a person.
    system_actor = models.CharField(_("system actor"), max_length=40, blank=True, default="")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    field = models.CharField(_("field"), max_length=64, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"


class JobRun(models.Model):
    """One run of a batch step for one as-of date: resumable through its chunks' checkpoints."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    step = models.CharField(_("step"), max_length=100)
    as_of = models.DateField(_("as of"))
    params_key = models.CharField(_("parameters"), max_length=200, blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    chunk_count = models.PositiveIntegerField(_("chunks"), default=0)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-as_of", "step"]
        constraints = [
            models.UniqueConstraint(fields=["step", "as_of", "params_key"], name="uniq_job_run"),
        ]

    def __str__(self) -> str:
        return f"{self.step} {self.as_of} {self.status}"


class JobChunk(models.Model):
    """A checkpoint: the chunk [first_id, last_id] of a run, marked done in the transaction that did its work."""

    run = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField(_("index"))
    first_id = models.BigIntegerField(_("first id"))
    last_id = models.BigIntegerField(_("last id"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows written"), default=0)
    # The ids the chunk was planned from, kept for a step that asks (`chunked_step(keep_ids=True)`): its chunk
    # reads them (`planned_ids`) instead of finding its rows again.
    ids = models.JSONField(_("planned ids"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("job chunk")
        verbose_name_plural = _("job chunks")
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="uniq_job_chunk")]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.index} [{self.first_id}, {self.last_id}]"
