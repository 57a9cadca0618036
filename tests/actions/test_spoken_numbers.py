import pytest

from actions.form_fields import clean_name
from actions.spoken_numbers import extract_id_number, extract_phone


@pytest.mark.parametrize(
    ("said", "phone"),
    [
        ("13800138000", "13800138000"),
        ("我的电话是一三八零零一三八零零零", "13800138000"),
        ("幺三八 零零幺三 八零零零", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("座机010 62345678", "01062345678"),
        ("87654321", "87654321"),
        ("身份证320102199001011234", None),  # digits inside an ID number are not a phone
        ("明天中午", None),
        ("12345", None),
    ],
)
def test_extract_phone(said: str, phone: str | None) -> None:
    assert extract_phone(said) == phone


@pytest.mark.parametrize(
    ("said", "name"),
    [
        ("王秀英", "王秀英"),
        ("我叫李建国啊", "李建国"),
        ("申请人是张桂兰", "张桂兰"),
        ("我妈叫刘翠花", "刘翠花"),
    ],
)
def test_clean_name(said: str, name: str) -> None:
    assert clean_name(said) == name


@pytest.mark.parametrize("said", ["a", "13800138000", "", "我叫"])
def test_not_a_name(said: str) -> None:
    assert clean_name(said) is None


@pytest.mark.parametrize(
    ("said", "id_number"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("110105 19491231 002x", "11010519491231002X"),
        ("幺幺零幺零五幺九四九幺二三幺零零二叉", "11010519491231002X"),
        ("110105194912310021", None),  # wrong check character
        ("13800138000", None),
    ],
)
def test_extract_id_number(said: str, id_number: str | None) -> None:
    assert extract_id_number(said) == id_number
