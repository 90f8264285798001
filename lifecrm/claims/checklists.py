"""The documents each claim type needs, and the product terms that are not law (waiting periods), as data.

A document's `small` flag says it is still asked for on the small-claim fast track (simplified documents). The
labels are translated; the codes are what the database keeps.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from lifecrm.claims.rules import ClaimType


@dataclass(frozen=True, slots=True)
class DocumentSpec:
    code: str
    label: object  # a lazy translation
    small: bool = True  # asked for on the fast track too


DOCUMENTS: dict[str, DocumentSpec] = {spec.code: spec for spec in (
    DocumentSpec("claim_form", _("claim application form")),
    DocumentSpec("claimant_id", _("claimant's identity document")),
    DocumentSpec("insured_id", _("insured's identity document"), small=False),
    DocumentSpec("death_certificate", _("death certificate")),
    DocumentSpec("household_cancellation", _("household registration cancellation"), small=False),
    DocumentSpec("relationship_proof", _("proof of relationship to the insured")),
    DocumentSpec("bank_account", _("payee's bank account details")),
    DocumentSpec("disability_assessment", _("disability assessment report")),
    DocumentSpec("diagnosis", _("diagnosis certificate")),
    DocumentSpec("pathology", _("pathology or examination report"), small=False),
    DocumentSpec("medical_records", _("medical records"), small=False),
    DocumentSpec("discharge_summary", _("discharge summary")),
    DocumentSpec("invoices", _("medical invoices and expense list")),
    DocumentSpec("accident_report", _("accident or police report"), small=False),
    DocumentSpec("survival_proof", _("proof of survival")),
)}

CHECKLISTS: dict[ClaimType, tuple[str, ...]] = {
    ClaimType.DEATH: ("claim_form", "claimant_id", "insured_id", "death_certificate", "household_cancellation",
                      "relationship_proof", "bank_account"),
    ClaimType.TPD: ("claim_form", "claimant_id", "insured_id", "disability_assessment", "medical_records",
                    "bank_account"),
    ClaimType.CRITICAL_ILLNESS: ("claim_form", "claimant_id", "insured_id", "diagnosis", "pathology",
                                 "medical_records", "bank_account"),
    ClaimType.HOSPITALISATION: ("claim_form", "claimant_id", "discharge_summary", "invoices", "medical_records",
                                "bank_account"),
    ClaimType.MATURITY: ("claim_form", "claimant_id", "survival_proof", "bank_account"),
}
ACCIDENT_DOCUMENTS = ("accident_report",)
"""Asked for in addition when the cause is an accident."""

WAITING_DAYS: dict[ClaimType, int] = {
    ClaimType.DEATH: 0, ClaimType.TPD: 0, ClaimType.CRITICAL_ILLNESS: 90, ClaimType.HOSPITALISATION: 30,
    ClaimType.MATURITY: 0,
}
"""Days after cover starts (issue or reinstatement) during which an illness is not covered: the standard terms of
the book's products (an accident has none)."""


def checklist(claim_type: str, *, cause: str, small: bool) -> list[str]:
    """The codes of the documents a claim needs: its type's list, plus the accident report for an accident, less
    what the fast track does without."""
    codes = list(CHECKLISTS[ClaimType(claim_type)])
    if cause == "accident":
        codes += list(ACCIDENT_DOCUMENTS)
    return [code for code in codes if not small or DOCUMENTS[code].small]


def document_label(code: str) -> str:
    spec = DOCUMENTS.get(code)
    return str(spec.label) if spec else code
