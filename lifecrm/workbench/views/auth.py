"""Login and logout of staff members (Django's auth views with the workbench's templates), the lockout answer,
the second factor (TOTP: enrolment with a QR code, then a code after each password), and the locked logins that
head office unlocks."""
from __future__ import annotations

from io import BytesIO
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from lifecrm.org.access import Action, staff_page
from lifecrm.org.logins import (
    EXPIRED,
    UnlockRefused,
    has_confirmed_device,
    locked_logins,
    login_unlock,
    second_factor_required,
)


class LoginView(auth_views.LoginView):
    template_name = "workbench/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.session.pop(EXPIRED, False):
            context["notice"] = _("Your session ended (idle too long, or open too long). Log in again.")
        return context

    def get_default_redirect_url(self):
        # The administrators have no workbench of customers: their start page is the locked logins.
        staff = getattr(self.request.user, "staff", None)
        if staff is not None and staff.role == "admin":
            return reverse("workbench:locked-logins")
        return super().get_default_redirect_url()


class LogoutView(auth_views.LogoutView):
    """POST only (Django refuses GET): a link cannot log a staff member out behind their back."""


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked account or address: the login page saying so, in the user's language."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60) if settings.AXES_COOLOFF_TIME else 0
    message = _("Too many failed logins: this account or this address is locked for %(minutes)s minutes. "
                "Head office can unlock it sooner.") % {"minutes": minutes}
    return render(request, "workbench/login.html", {
        "form": AuthenticationForm(request), "locked": message, "next": request.POST.get("next", ""),
    }, status=429)


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


def _token(request) -> str:
    return "".join(ch for ch in request.POST.get("token", "") if not ch.isspace())


@require_http_methods(["GET", "POST"])
def otp_verify(request):
    """The second step of a login whose role needs a second factor: a code from the authenticator app."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    devices = list(TOTPDevice.objects.filter(user=request.user, confirmed=True))
    if not devices:
        return redirect(f"{reverse('workbench:otp-enrol')}?{urlencode({'next': _next_url(request)})}")
    error = ""
    if request.method == "POST":
        token = _token(request)
        device = next((d for d in devices if token.isdigit() and d.verify_token(token)), None)
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        error = _("That code is not right, or it has expired. Enter the 6-digit code your app shows now.")
    return render(request, "workbench/otp.html", {"mode": "verify", "error": error,
                                                   "next": _next_url(request)})


def _qr_svg(url: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg"):]  # inline: without the XML declaration


@require_http_methods(["GET", "POST"])
def otp_enrol(request):
    """First login of a role that needs a second factor: scan the QR code, then confirm with a code."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    if has_confirmed_device(request.user):
        return redirect(f"{reverse('workbench:otp-verify')}?{urlencode({'next': _next_url(request)})}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="lifecrm", confirmed=False)
    error = ""
    if request.method == "POST":
        token = _token(request)
        if token.isdigit() and device.verify_token(token):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(_next_url(request))
        error = _("That code is not right, or it has expired. Enter the 6-digit code your app shows now.")
    from base64 import b32encode

    return render(request, "workbench/otp.html", {
        "mode": "enrol", "error": error, "next": _next_url(request), "qr_svg": _qr_svg(device.config_url),
        "secret": b32encode(device.bin_key).decode(), "required": second_factor_required(request.user),
    })


@staff_page(Action.MANAGE_LOGINS)
@require_http_methods(["GET", "POST"])
def locked_logins_page(request):
    """Accounts and addresses locked after failed logins, each with an unlock button (head office only)."""
    if request.method == "POST":
        kind, value = request.POST.get("kind", ""), request.POST.get("value", "")
        try:
            login_unlock(actor=request.user, kind=kind, value=value)
        except UnlockRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Unlocked %(value)s.") % {"value": value})
        return redirect("workbench:locked-logins")
    return render(request, "workbench/locked_logins.html", {"rows": locked_logins(now=timezone.now())})
