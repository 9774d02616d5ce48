"""Button data: every format keeps its wire format, stays within Telegram's 64 bytes, and refuses
forged or malformed data (a handler then says «stale button» instead of crashing)."""

import pytest

from bot.telegram import callbacks as cb


def test_wire_formats_are_the_ones_already_in_users_chats():
    assert cb.REPORT.build(kegiatan=12) == "lapor:12"
    assert cb.LP_KEGIATAN.build(kegiatan=12, quarter=2) == "lp:k:12:2"
    assert cb.LP_SAVE.build(token="ab12cd34") == "lp:save:ab12cd34"
    assert cb.LP_EDIT_ITEM.build(what="a", index=3) == "lp:ed:a:3"
    assert cb.DRILL.build(kind="p", ident=7, quarter=2) == "rk:p:7:2"
    assert cb.USR_PAUSE.build(person=5, until="20200707") == "usr:pz:5:20200707"
    assert cb.USR_ADMIN.build(person=5, on=1) == "usr:adm:5:1"
    assert cb.PIC_PEOPLE_PAGE.build(page=1) == "pic:ppg:1"
    assert cb.IMP_PAGE.build(page=-1) == "imp:pg:-1"
    assert cb.LOCK_APPLY.build(op="L", quarter=2, kegiatan=0) == "lk:L2:ok:0"
    assert cb.Browse("lk:L2").kegiatan_page(3, 1) == "lk:L2:kp:3:1"
    assert cb.Browse(cb.TG).close() == "tg:x"
    assert cb.RW_HISTORY.build(entity="i", item=9) == "rw:i:9"


def test_parse_gives_typed_fields_back():
    assert cb.DRILL.parse("rk:k:42:3") == ("k", 42, 3)
    assert cb.DRILL.parse("rk:k:42:3").ident == 42
    assert cb.Browse("rw").parse("rw:kp:4:2") == cb.Step("kp", (4, 2))
    assert cb.LOCK_SCOPE.parse("lk:U4") == ("U", 4)
    assert cb.PIC_DONE.parse("pic:x") and cb.PIC_DONE.parse("pic:y") is None  # a press without fields is truthy


@pytest.mark.parametrize("fmt, data", [
    (cb.REPORT, "lapor:" + "9" * 30),  # beyond any database id
    (cb.REPORT, f"lapor:{2**63}"),
    (cb.REPORT, f"lapor:{2**31}"),  # ids are INTEGER primary keys: PostgreSQL refused to look this one up
    (cb.PIC_TOGGLE, f"pic:t:1:{2**63 - 1}"),
    (cb.REPORT, "lapor:-1"),
    (cb.REPORT, "lapor:12:3"),
    (cb.DRILL, "rk:k:1:5"),  # no TW V
    (cb.DRILL, "rk:x:1:2"),
    (cb.USR_ADMIN, "usr:adm:5:2"),
    (cb.LP_SAVE, "lp:save:"),
    (cb.LOCK_APPLY, "lk:X2:ok:1"),
    (cb.REPORT, None),
])
def test_forged_or_malformed_data_parses_to_none(fmt, data):
    assert fmt.parse(data) is None


def test_browse_refuses_forged_steps():
    nav = cb.Browse(cb.TG)
    for data in ("tg:p", "tg:p:1:2", "tg:zz:1", "tg:k:-3", "tg:k:" + "9" * 25, "rw:p:1", "tg:p:x"):
        assert nav.parse(data) is None, data


def test_callback_data_never_exceeds_64_bytes():
    with pytest.raises(ValueError):
        cb.LP_SAVE.build(token="x" * 60)
    biggest = cb.MAX_ID
    for data in (cb.Browse("lk:L2").kegiatan_page(biggest, biggest), cb.PIC_TOGGLE.build(person=biggest, kegiatan=biggest),
                 cb.DRILL.build(kind="k", ident=biggest, quarter=4)):
        assert len(data.encode()) <= 64
