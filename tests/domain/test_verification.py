"""bot.domain.verification: the status rules, and scoring counting only accepted reports when on."""

from datetime import datetime
from decimal import Decimal as D

import pytest

from bot.config import load_settings
from bot.db import unit_of_work
from bot.domain import verification as vf
from bot.domain.admin import item_history
from bot.domain.reporting import ReportError
from bot.domain.reporting import Submission
from bot.domain.reporting import save_report
from bot.domain.scoring import score_plan_from_db
from bot.text.render import render
from models import Person
from tests.support.harness import WIB

NOW = datetime(2020, 6, 23, 9, 0, tzinfo=WIB)  # TW II, before its deadline (7 July)


def budi_saves(session, ids, a1="50", a2="30"):
    k1 = ids["kegiatan"][0]
    first, second = ids["aksi"][k1][:2]
    save_report(Submission(kegiatan_id=k1, quarter=2, aksi_values={first: (D(a1), a1), second: (D(a2), a2)},
                           budget_realised=100_000_000),
                session=session, person_id=ids["budi"], actor_label="Budi", now=NOW, late=False)
    return k1


def test_transitions_and_who_may_make_them(engine, small_plan):
    with unit_of_work(engine) as session:
        k1 = budi_saves(session, small_plan)
        assert vf.status_of(k1, 2, session=session) == vf.PENDING
        with pytest.raises(vf.VerificationError, match="own_report"):  # Budi cannot verify his own kegiatan
            vf.accept(k1, 2, session=session, actor_person_id=small_plan["budi"], actor_label="Budi", now=NOW)
        with pytest.raises(vf.VerificationError, match="empty_note"):
            vf.return_report(k1, 2, "  \n ", session=session, actor_person_id=None, actor_label="Admin", now=NOW)
        back = vf.return_report(k1, 2, "Lampirkan SK", session=session, actor_person_id=None, actor_label="Admin",
                                now=NOW)
        assert [r.name for r in back.recipients] == ["Budi Santoso"] and not back.reopened
        with pytest.raises(vf.VerificationError, match="not_pending"):
            vf.accept(k1, 2, session=session, actor_person_id=None, actor_label="Admin", now=NOW)
        budi_saves(session, small_plan)  # the fix: back in the queue
        assert vf.status_of(k1, 2, session=session) == vf.PENDING
        vf.accept(k1, 2, session=session, actor_person_id=None, actor_label="Admin", now=NOW)
    with pytest.raises(ReportError, match="accepted"), unit_of_work(engine) as session:
        budi_saves(session, small_plan, a1="40")  # frozen for the PIC
    with unit_of_work(engine) as session:
        again = vf.return_report(k1, 2, "Buka: salah ketik", session=session, actor_person_id=None,
                                 actor_label="Admin", now=NOW)
        assert again.reopened and vf.status_of(k1, 2, session=session) == vf.RETURNED
        # /riwayat of the kegiatan shows each transition, with the notes.
        entries = item_history("kegiatan", k1, session=session)
        text = render("riwayat", "id", title={"kegiatan": "Pendidikan dan Pelatihan Teknis", "label": ""},
                      entries=entries, more=0, tz=WIB)
    assert "TW II dilaporkan → <b>menunggu verifikasi</b>" in text
    assert "TW II menunggu verifikasi → <b>dikembalikan</b> — catatan: Lampirkan SK" in text
    assert "TW II diterima → <b>dikembalikan</b> — catatan: Buka: salah ketik" in text


def test_scoring_counts_only_accepted_reports_once_a_verifier_exists(engine, small_plan):
    settings = load_settings(_env_file=None, database_url="sqlite://")  # VERIFICATION=auto
    with unit_of_work(engine) as session:
        k1 = budi_saves(session, small_plan)

    def kegiatan_score():
        with unit_of_work(engine) as session:
            return score_plan_from_db(small_plan["plan"], 2, session=session, now=NOW,
                                      settings=settings).find_kegiatan(k1)

    # No verifier yet: verification is off, Budi's values count. Aksi 1: 50 of its TW II target 50% = 100%;
    # aksi 2: 30 of 60 = 50%; the kegiatan is their mean, (100 + 50) / 2 = 75%.
    off = kegiatan_score()
    assert [a.cumulative.pct for a in off.aksi[:2]] == [D(100), D(50)] and off.cumulative.pct == D(75)
    with unit_of_work(engine) as session:
        session.add(Person(name="Vera Verifikator", is_verifier=True))
    pending = kegiatan_score()  # waiting for the verifier: not counted, pending before the deadline
    assert [a.cumulative.pct for a in pending.aksi[:2]] == [None, None] and pending.cumulative.pct is None
    with unit_of_work(engine) as session:
        assert vf.waiting(small_plan["plan"], 2, session=session) == 1
        vf.accept(k1, 2, session=session, actor_person_id=None, actor_label="Vera", now=NOW)
    accepted = kegiatan_score()  # the same 100%, 50% and 75% as before, now verified
    assert [a.cumulative.pct for a in accepted.aksi[:2]] == [D(100), D(50)] and accepted.cumulative.pct == D(75)
