"""Sender namespaces per front (common/fronts.py): an id never leaves its front's namespace."""

from common.fronts import Front, namespaced


def test_an_id_is_put_in_the_fronts_namespace_once() -> None:
    assert namespaced(Front.telegram, "123") == "tg:123"
    assert namespaced(Front.telegram, "tg:123") == "tg:123"
    assert namespaced(Front.voice, "audiosocket-1") == "call:audiosocket-1"


def test_another_fronts_prefix_does_not_get_an_id_out_of_the_namespace() -> None:
    assert namespaced(Front.rest, "tg:123") == "rest:tg:123"
    assert namespaced(Front.voice, "tg:123") == "call:tg:123"
    assert namespaced(Front.host, "") == "host:"
