"""customer_create checks every ID type by its rule (parties.rules), says which rule failed, writes nothing then."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from lifecrm.core.actors import SYSTEM
from lifecrm.core.fields import keyed_hash
from lifecrm.parties.models import Customer
from lifecrm.parties.services import customer_create
from tests.factories import make_org

pytestmark = pytest.mark.django_db
CREATED = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def branch():
    return make_org().branch_a


def create(branch, *, id_type, id_number, kind="person", sex="M", birth_date=date(1980, 5, 17), **fields):
    return customer_create(
        actor=SYSTEM, number=f"C9{abs(hash(id_number)) % 10**8:08d}", name="陳大文", kind=kind, id_type=id_type,
        id_number=id_number, branch=branch, created_at=CREATED, sex=sex if kind == "person" else "",
        birth_date=birth_date if kind == "person" else None, **fields,
    )


def refusal(branch, **options) -> str:
    with pytest.raises(ValidationError) as caught:
        create(branch, **options)
    assert not Customer.objects.exists()
    return " ".join(caught.value.message_dict["id_number"])


@pytest.mark.parametrize(("id_type", "typed", "stored", "options"), [
    ("prc_id", "110101 19800517 1233", "110101198005171233", {}),
    ("hk_id", "a123456(3)", "A1234563", {}),
    ("tw_id", "Ａ123456789", "A123456789", {}),  # a full-width letter from a Chinese input method
    ("uscc", "91350100M000100Y43", "91350100M000100Y43", {"kind": "organisation"}),
    ("passport", "e 1234 5678", "E12345678", {}),
])
def test_a_valid_number_of_every_type_is_stored_normalised_and_hashed(branch, id_type, typed, stored, options):
    customer = create(branch, id_type=id_type, id_number=typed, **options)
    customer.refresh_from_db()
    assert customer.id_number == stored and customer.id_number_digest == keyed_hash(stored)
    assert customer.id_number_last4 == stored[-4:]


@pytest.mark.parametrize(("id_type", "number", "options", "message"), [
    ("hk_id", "A123456(4)", {}, "should be 3, not 4"),
    ("hk_id", "A12345", {}, "one or two letters, six digits"),
    ("tw_id", "A123456788", {}, "should be 9, not 8"),
    ("tw_id", "A223456781", {"sex": "M"}, "a woman's"),
    ("uscc", "91350100M000100Y44", {"kind": "organisation"}, "should be 3, not 4"),
    ("uscc", "91350100M000100Y43", {}, "identifies an organisation"),
    ("prc_id", "110101198005171233", {"kind": "organisation"}, "unified social credit code"),
    ("prc_id", "110101198005171236", {}, "should be 3, not 6"),
    ("prc_id", "110101198005171233", {"birth_date": date(1980, 5, 18)}, "differs from the birth date given"),
])
def test_a_number_breaking_its_rule_is_refused_saying_which_rule(branch, id_type, number, options, message):
    with translation.override("en"):
        assert message in refusal(branch, id_type=id_type, id_number=number, **options)


def test_the_refusal_is_in_the_users_language(branch):
    with translation.override("zh-hant"):
        message = refusal(branch, id_type="hk_id", id_number="A123456(4)")
    assert message == "此香港身分證號碼的校驗碼應為 3，而非 4"
