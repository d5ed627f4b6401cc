import base64
import json
from datetime import date

import pytest

from furusato.api.auth import principal_from_claims
from furusato.domain.errors import InvalidInput, Unauthenticated
from furusato.domain.profile import contains_individual_number, make_profile
from furusato.store import cursor

TODAY = date(2026, 11, 26)


def profile(**overrides: object):
    values: dict[str, object] = {
        "name": "山田　太郎",
        "birth_date": date(1990, 1, 1),
        "gender": "female",
        "postal_code": "〒０６０－０００１",
        "address": "北海道札幌市中央区北一条西",
        "today": TODAY,
    }
    values.update(overrides)
    return make_profile(**values)  # type: ignore[arg-type]


def test_residence_comes_from_the_postal_code_with_wards_mapped_to_their_city() -> None:
    p = profile()
    assert p.residence_lg_code == "011002"
    assert p.postal_code == "0600001"
    assert p.name == "山田 太郎"


def test_unknown_postal_code_names_the_field() -> None:
    with pytest.raises(InvalidInput) as err:
        profile(postal_code="000-0000")
    assert err.value.details == {"postal_code": "unknown postal code"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birth_date", date(2026, 11, 27)),
        ("birth_date", date(1899, 12, 31)),
        ("gender", "m"),
        ("name", " "),
        ("postal_code", "abc"),
    ],
)
def test_bad_profile_fields_are_named(field: str, value: object) -> None:
    with pytest.raises(InvalidInput) as err:
        profile(**{field: value})
    assert field in err.value.details


def test_individual_numbers_are_refused_in_free_text() -> None:
    assert contains_individual_number("1234 5678 9012")
    assert contains_individual_number("個人番号１２３４５６７８９０１２")
    assert not contains_individual_number("新宿1-2-3")
    with pytest.raises(InvalidInput) as err:
        profile(address="東京都新宿区 123456789012")
    assert err.value.details == {"address": "must not contain an individual number"}


def test_claims_of_each_pool() -> None:
    assert principal_from_claims({"sub": "u"}).role == "registrant"
    staff = principal_from_claims(
        {"sub": "s", "custom:lg_code": "212172", "custom:staff_role": "org", "custom:org_id": "o1"}
    )
    assert (staff.role, staff.lg_code, staff.staff_role, staff.org_id) == ("staff", "212172", "org", "o1")
    assert principal_from_claims({"sub": "o", "cognito:groups": "operator"}).role == "operator"
    assert principal_from_claims({"sub": "o", "cognito:groups": "[admins operator]"}).role == "operator"


@pytest.mark.parametrize(
    "claims",
    [
        None,
        {},
        {"sub": ""},
        {"sub": "s", "custom:staff_role": "root", "custom:lg_code": "212172"},
        {"sub": "s", "custom:staff_role": "admin"},
    ],
)
def test_missing_or_incomplete_claims_are_unauthenticated(claims: dict[str, str] | None) -> None:
    with pytest.raises(Unauthenticated):
        principal_from_claims(claims)


def test_cursor_round_trip_and_tampering() -> None:
    key = {"gsi1pk": {"S": "LGS"}, "gsi1sk": {"S": "21#212172"}, "pk": {"S": "LG#212172"}, "sk": {"S": "LG"}}
    token = cursor.encode(key)
    assert token and cursor.decode(token, partition=("gsi1pk", "LGS")) == key
    with pytest.raises(InvalidInput):
        cursor.decode(token, partition=("gsi1pk", "LG#131041#REG"))
    with pytest.raises(InvalidInput):
        cursor.decode("!!not-a-cursor", partition=("gsi1pk", "LGS"))


@pytest.mark.parametrize(
    "tampered",
    [
        {"extra": {"S": "x"}},
        {"gsi1sk": {"N": "1"}},
        {"sk": {"S": 1}},
        {"sk": {"S": "LG", "N": "1"}},
        {"sk": {"S": ""}},
        {"sk": {"S": "x\ud800"}},
        {"sk": {"S": "x" * 2000}},
        {"sk": ["LG"]},
    ],
)
def test_a_cursor_is_validated_completely(tampered: dict[str, object]) -> None:
    key = {"gsi1pk": {"S": "LGS"}, "gsi1sk": {"S": "21#212172"}, "pk": {"S": "LG#212172"}, "sk": {"S": "LG"}}
    with pytest.raises(InvalidInput):
        cursor.decode(cursor.encode({**key, **tampered}), partition=("gsi1pk", "LGS"))
    missing = {k: v for k, v in key.items() if k != "gsi1sk"}
    with pytest.raises(InvalidInput):
        cursor.decode(cursor.encode(missing), partition=("gsi1pk", "LGS"))
    for not_a_key in ([key], "key", 12, None):
        raw = base64.urlsafe_b64encode(json.dumps(not_a_key).encode()).decode()
        with pytest.raises(InvalidInput):
            cursor.decode(raw, partition=("gsi1pk", "LGS"))
