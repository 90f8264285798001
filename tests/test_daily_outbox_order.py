"""The outbox's send runs after every daily step that records messages, in a later wave: what a step records goes
out in the same batch (a step after the send would leave its messages for the next day's)."""
from __future__ import annotations

from lifecrm.core.registries import StepRegistry, daily_steps
from lifecrm.notifications.jobs import SEND_OUTBOX

# Every daily step that records SMS or e-mails in the outbox. A new one belongs here, and registers
# `before=(SEND_OUTBOX,)`.
QUEUING_STEPS = ("billing.reminders", "service.care_send", "service.sla_sweep", "service.nps_surveys")


def late_queuers(steps: StepRegistry, queuing: tuple[str, ...]) -> list[str]:
    """The queuing steps that do not run before the send, in an earlier wave (they could run at once with it)."""
    order = steps.names()
    wave_of = {step.name: n for n, wave in enumerate(steps.waves()) for step in wave}
    return [name for name in queuing
            if order.index(name) > order.index(SEND_OUTBOX) or wave_of[name] >= wave_of[SEND_OUTBOX]]


def test_every_queuing_step_runs_before_the_outbox_send():
    names = daily_steps.names()
    assert set(QUEUING_STEPS) <= set(names)
    assert late_queuers(daily_steps, QUEUING_STEPS) == []
    assert set(QUEUING_STEPS) <= set(daily_steps.dependencies()[SEND_OUTBOX])


def test_the_check_finds_a_queuing_step_left_after_the_send():
    def noop(**kwargs):
        return None

    steps = StepRegistry("test")
    steps.register(SEND_OUTBOX)(noop)
    steps.register("a.early", before=(SEND_OUTBOX,))(noop)
    steps.register("z.late", after=(SEND_OUTBOX,))(noop)
    steps.register("b.beside", after=("a.early",))(noop)  # nothing orders it with the send: they may run at once
    assert late_queuers(steps, ("a.early", "z.late", "b.beside")) == ["z.late", "b.beside"]
