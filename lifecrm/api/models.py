"""The API's tokens as the admin site shows them: knox's tokens (stored as a hash, with an expiry) by a name a
reader understands. Created only by `lifecrm api-token`; the admin lists and revokes (deletes) them."""
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken


class ApiToken(AuthToken):
    class Meta:
        proxy = True
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
