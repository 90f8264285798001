"""Head office's tier thresholds: what is in force per jurisdiction and its versions; a change is first previewed
(how many customers would move, from which tier to which) and then applied as a new, audited version."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from lifecrm.core.models import Jurisdiction
from lifecrm.org.access import Action, staff_page
from lifecrm.parties.models import CustomerSegment
from lifecrm.value.forms import ThresholdsForm
from lifecrm.value.models import TierThresholds
from lifecrm.value.selectors import current_thresholds
from lifecrm.value.services import tier_thresholds_apply, tier_thresholds_preview

TIER_LABELS = dict(CustomerSegment.Tier.choices)
HISTORY_ROWS = 30


def _preview_rows(preview) -> dict:
    return {
        "moves": [(TIER_LABELS[source], TIER_LABELS[target], n) for (source, target), n in preview.moves.items()],
        "tiers": [(TIER_LABELS[tier], preview.before[tier], preview.after[tier]) for tier in preview.before],
    }


@staff_page(Action.SET_TIER_THRESHOLDS)
def thresholds(request):
    as_of = timezone.localdate()
    in_force = current_thresholds()
    names = dict(Jurisdiction.objects.filter(code__in=in_force).values_list("code", "name"))
    choices = [(code, f"{code} · {names.get(code, code)}") for code in sorted(in_force)]
    chosen = request.POST.get("jurisdiction") or request.GET.get("jurisdiction") or (choices[0][0] if choices else "")
    row = in_force.get(chosen)
    initial = {"jurisdiction": chosen, **({k: f"{v:f}" for k, v in row.as_dict().items()} if row else {})}
    form = ThresholdsForm(request.POST or None, initial=initial, jurisdictions=choices)
    preview, error, status = None, "", 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            limits = {name: data[name] for name in ("diamond", "gold", "silver")}
            try:
                if "apply" in request.POST:
                    applied, moved = tier_thresholds_apply(actor=request.user, jurisdiction=data["jurisdiction"],
                                                           as_of=as_of, note=data["note"], **limits)
                    messages.success(request, _(
                        "Version %(version)s of the %(code)s tier thresholds is in force: %(moved)s customer(s) "
                        "change tier at the next valuation.") % {
                        "version": applied.version, "code": applied.jurisdiction_id, "moved": moved.moved()})
                    return redirect(f"{request.path}?jurisdiction={applied.jurisdiction_id}")
                preview = tier_thresholds_preview(actor=request.user, jurisdiction=data["jurisdiction"], as_of=as_of,
                                                  **limits)
            except ValidationError as refused:
                error, status = " ".join(refused.messages), 400
        else:
            status = 400
    return render(request, "value/thresholds.html", {
        "form": form, "preview": preview, "preview_rows": _preview_rows(preview) if preview else None,
        "error": error, "in_force": [in_force[code] for code in sorted(in_force)], "names": names,
        "history": TierThresholds.objects.order_by("jurisdiction_id", "-version")[:HISTORY_ROWS],
    }, status=status)
