"""The emergency line (急難救助), round the clock: one box finds the caller by phone or ID number, the cover they
have shows at once, one form opens an urgent case; the case's page logs partner dispatches and follow-ups."""
from __future__ import annotations

from datetime import datetime

from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from lifecrm.org.access import Action, staff_page
from lifecrm.parties.selectors import customer_get
from lifecrm.service import selectors, services
from lifecrm.service.models import PARTNER_CHOICES, STAGE_LABELS, Case, CaseCategory
from lifecrm.service.rules import EMERGENCY_TYPE, FIRST_FOLLOW_UP_AFTER, DispatchStage

TIME_FORMAT = "%Y-%m-%dT%H:%M"


def _time_field(label, *, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, required=required, input_formats=[TIME_FORMAT],
                               help_text=None if required else gettext_lazy("Leave empty for now."),
                               widget=forms.DateTimeInput(format=TIME_FORMAT, attrs={"type": "datetime-local",
                                                                                     "class": "form-control"}))


def _text(label, *, max_length: int, required: bool = True, rows: int = 0, **attrs) -> forms.CharField:
    widget = (forms.Textarea(attrs={"rows": rows, "class": "form-control", **attrs}) if rows
              else forms.TextInput(attrs={"class": "form-control", **attrs}))
    return forms.CharField(label=label, max_length=max_length, required=required, widget=widget)


class LookupForm(forms.Form):
    q = _text(gettext_lazy("Phone or ID number"), max_length=40, autocomplete="off", autofocus=True,
              placeholder=gettext_lazy("e.g. 13800138000 or the ID number"))


class IntakeForm(forms.Form):
    location = _text(gettext_lazy("Where is the customer?"), max_length=300,
                     placeholder=gettext_lazy("Address, landmark, hospital"))
    situation = _text(gettext_lazy("What happened?"), max_length=2000, rows=3)
    callback_phone = _text(gettext_lazy("Callback number"), max_length=20, inputmode="tel")
    category = forms.ChoiceField(label=gettext_lazy("Kind of help"), required=False,
                                 widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        rows = CaseCategory.objects.filter(case_type_id=EMERGENCY_TYPE, is_active=True).order_by("code")
        self.fields["category"].choices = [("", "—")] + [(c.code, _category_label(c)) for c in rows]


class DispatchForm(forms.Form):
    partner_kind = forms.ChoiceField(label=gettext_lazy("Partner"), choices=PARTNER_CHOICES,
                                     widget=forms.Select(attrs={"class": "form-select"}))
    partner_name = _text(gettext_lazy("Partner name"), max_length=120,
                         placeholder=gettext_lazy("Ambulance service, hospital, advice line"))
    reference = _text(gettext_lazy("Partner's reference"), max_length=60, required=False)
    requested_at = _time_field(gettext_lazy("Requested at"))


class DispatchLogForm(forms.Form):
    dispatch = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    stage = forms.ChoiceField(label=gettext_lazy("Time of"),
                              choices=[(s.value, STAGE_LABELS[s]) for s in DispatchStage
                                       if s != DispatchStage.REQUESTED],
                              widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    stamp = _time_field(gettext_lazy("At"))


class FollowUpForm(forms.Form):
    title = _text(gettext_lazy("Follow-up"), max_length=200)
    due_at = _time_field(gettext_lazy("Due"), required=True)


class FollowUpDoneForm(forms.Form):
    task = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    outcome = _text(gettext_lazy("Outcome"), max_length=300, required=False)


def _category_label(category: CaseCategory) -> str:
    return category.name if (get_language() or "").startswith("zh") else category.name_en


def _now() -> datetime:
    return timezone.now().replace(second=0, microsecond=0)


@staff_page(Action.ASSIST_EMERGENCY)
def emergency(request):
    """The lookup box, the caller's cover and the intake form; the scope's open emergencies beside them."""
    now = timezone.now()
    context = {"lookup": LookupForm(request.GET or None), "open_cases": selectors.open_emergencies(scope=request.scope),
               "now": now, "as_of": timezone.localdate()}
    customer_id = request.POST.get("customer") or request.GET.get("customer")
    if customer_id:
        customer = customer_get(scope=request.scope, customer_id=customer_id)
        cover = selectors.emergency_cover(scope=request.scope, customer_id=customer.pk, as_of=timezone.localdate())
        form = IntakeForm(request.POST or None, initial={"callback_phone": customer.mobile_phone})
        if request.method == "POST" and form.is_valid():
            try:
                case = services.emergency_open(actor=request.user, customer=customer, cover=cover, at=now,
                                               category=form.cleaned_data["category"] or None,
                                               location=form.cleaned_data["location"],
                                               situation=form.cleaned_data["situation"],
                                               callback_phone=form.cleaned_data["callback_phone"])
            except services.ServiceRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                return redirect("service:emergency-case", case.pk)
        status = 400 if request.method == "POST" else 200
        context |= {"customer": customer, "cover": cover, "form": form,
                    "assisted": any(line.assisted for line in cover)}
        return render(request, "service/emergency.html", context, status=status)
    if request.method == "POST":
        context["lookup_error"] = _("Find the customer first.")
        return render(request, "service/emergency.html", context, status=400)
    if context["lookup"].is_bound and context["lookup"].is_valid():
        query = context["lookup"].cleaned_data["q"]
        try:
            found = selectors.emergency_lookup(scope=request.scope, query=query)
        except selectors.LookupNotUnderstood:
            context["lookup_error"] = _("Type a phone number or an ID number.")
        else:
            if len(found) == 1:
                return redirect(f"{request.path}?customer={found[0].pk}")
            context["found"] = found
            if not found:
                context["lookup_error"] = _("No customer of yours has this phone or ID number.")
    return render(request, "service/emergency.html", context)


FORMS = {"dispatch": DispatchForm, "log": DispatchLogForm, "follow_up": FollowUpForm, "done": FollowUpDoneForm}


@staff_page(Action.ASSIST_EMERGENCY)
def emergency_case(request, case_id: int):
    """An emergency case: the intake, the partners sent for with their times, the follow-ups; each form posts
    here with its `action`."""
    try:
        case = selectors.emergency_case_get(scope=request.scope, case_id=case_id)
    except Case.DoesNotExist:
        raise Http404("no such emergency case") from None
    bound, error = None, ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        form_class = FORMS.get(action)
        if form_class is None:
            error = _("Nothing to do: choose what to log.")
        else:
            bound = (action, form_class(request.POST))
            if bound[1].is_valid():
                try:
                    _apply(request, case, action, bound[1].cleaned_data)
                except services.ServiceRefused as refusal:
                    bound[1].add_error(None, str(refusal))
                else:
                    return redirect("service:emergency-case", case.pk)
    due = timezone.localtime(_now() + FIRST_FOLLOW_UP_AFTER)
    forms_ = {name: form_class(initial={"due_at": due.strftime(TIME_FORMAT)}
                               if name == "follow_up" else None)
              for name, form_class in FORMS.items()}
    if bound is not None:
        forms_[bound[0]] = bound[1]
    cover = selectors.emergency_cover(scope=request.scope, customer_id=case.customer_id, as_of=timezone.localdate())
    context = {"case": case, "intake": getattr(case, "emergency", None), "forms": forms_, "error": error,
               "events": selectors.case_events(case=case), "now": timezone.now(), "as_of": timezone.localdate(),
               "cover": cover, "assisted": any(line.assisted for line in cover)}
    return render(request, "service/emergency_case.html", context, status=400 if bound or error else 200)


def _apply(request, case: Case, action: str, data: dict) -> None:
    now = timezone.now()
    if action == "dispatch":
        services.dispatch_request(actor=request.user, case=case, partner_kind=data["partner_kind"],
                                  partner_name=data["partner_name"], reference=data["reference"],
                                  requested_at=data["requested_at"] or now, at=now)
    elif action == "log":
        dispatch = next((d for d in case.dispatches.all() if d.pk == data["dispatch"]), None)
        if dispatch is None:
            raise services.ServiceRefused(_("This dispatch is not one of this case's."))
        services.dispatch_log(actor=request.user, dispatch=dispatch, stage=data["stage"], stamp=data["stamp"] or now,
                              at=now)
    elif action == "follow_up":
        services.follow_up_add(actor=request.user, case=case, title=data["title"], due_at=data["due_at"], at=now)
    else:
        task = next((t for t in case.tasks.all() if t.pk == data["task"]), None)
        if task is None:
            raise services.ServiceRefused(_("This follow-up is not one of this case's."))
        services.follow_up_done(actor=request.user, task=task, at=now, outcome=data["outcome"])
