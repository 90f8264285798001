"""What each assessment finding means, as staff and the claimant read it (the claim page, the refusal letter)."""
from __future__ import annotations

from django.utils.translation import gettext_lazy

FINDINGS = {
    "time_barred": gettext_lazy("Reported after the 5-year limitation (Insurance Law Art. 26)"),
    "small_claim": gettext_lazy("Small claim: fast track, simplified documents"),
    "not_in_force": gettext_lazy("Cover was not in force on the event date"),
    "waiting_period": gettext_lazy("The illness showed within the waiting period"),
    "suicide_exclusion": gettext_lazy("Suicide within the exclusion period after issue or reinstatement (Art. 44)"),
    "contestable": gettext_lazy("Within the 2-year rescission window: check the disclosure (Art. 16)"),
    "misstated_age": gettext_lazy("Misstated age: the benefit is paid in proportion (Art. 32)"),
    "early_claim": gettext_lazy("Flag: event shortly after issue or reinstatement"),
    "sum_assured_increased": gettext_lazy("Flag: sum assured increased shortly before the event"),
    "several_claims": gettext_lazy("Flag: several claims of the insured"),
    "late_report": gettext_lazy("Flag: reported more than a year after the event"),
}
