"""The Mini App's endpoints over HTTP against the real bot and the fake Telegram: the page, Simpan, and who may."""

from datetime import timedelta

import pytest
from sqlmodel import func
from sqlmodel import select

from bot.db import unit_of_work
from models import AksiRealisation
from models import AuditLog
from models import KegiatanRealisation
from models import PeriodLock
from tests.support.harness import LEADER_ID
from tests.support.harness import PIC2_ID
from tests.support.harness import PIC_ID
from tests.support.harness import STRANGER_ID


def _counts(engine) -> tuple[int, int, int]:
    """(aksi realisations, kegiatan realisations, audit rows): what a refused request must leave alone."""
    with unit_of_work(engine) as session:
        return tuple(session.exec(select(func.count()).select_from(m)).one()
                     for m in (AksiRealisation, KegiatanRealisation, AuditLog))


def _budi_fields(small_plan, **extra) -> dict:
    a1, a2 = small_plan["aksi"][small_plan["kegiatan"][0]][:2]
    return {f"a{a1}": "50%", f"a{a2}": "60", "budget": "125jt", "kendala": "", "tindak_lanjut": "Lanjut TW III",
            "pendorong": "", **extra}


async def test_the_pic_page_lists_only_their_kegiatan_with_targets_and_the_modes_question(webapp, small_plan):
    status, body = await webapp.post("page", init_data=webapp.init_data(PIC_ID))
    assert status == 200
    html = body["html"]
    assert "Laporan TW II 2020" in html and "Pendidikan dan Pelatihan Teknis" in html
    assert "Target TW II: <b>50%</b>" in html and "Realisasi TW II saja" in html and "Target s.d. TW II" in html
    assert "Belum diisi" in html and "💾 Simpan" in html and "Bukti dukung: 0 berkas" in html
    assert f'data-kegiatan="{small_plan["kegiatan"][1]}"' not in html  # Sari's kegiatan is not Budi's


async def test_simpan_stores_once_audited_and_the_chat_hears_tersimpan(webapp, fake, engine, small_plan):
    kegiatan = small_plan["kegiatan"][0]
    body = {"kegiatan_id": kegiatan, "quarter": 2, "fields": _budi_fields(small_plan)}
    status, answer = await webapp.post("save", body, init_data=webapp.init_data(PIC_ID))
    assert status == 200 and answer["ok"], answer
    assert "Tersimpan ✅" in answer["message"] and "✅ Lengkap" in answer["html"] and "Tersimpan: 50%" in answer["html"]
    await fake.wait_idle()
    assert "Tersimpan ✅ Pendidikan dan Pelatihan Teknis — TW II 2020" in fake.messages_to(PIC_ID)[-1]["text"]
    with unit_of_work(engine) as session:
        values = sorted(str(r.value) for r in session.exec(select(AksiRealisation)).all())
        keg = session.exec(select(KegiatanRealisation)).one()
        audit = session.exec(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.actor_label == "Budi Santoso")).one()
    assert values == ["50.0000", "60.0000"] or values == ["50", "60"]
    assert keg.budget_realised == 125_000_000 and keg.tindak_lanjut == "Lanjut TW III"
    assert audit == 5  # two aksi, the budget, the tindak lanjut, and review.submit (now awaiting verification)
    before = _counts(engine)
    status, again = await webapp.post("save", body, init_data=webapp.init_data(PIC_ID))  # a second tap
    assert status == 200 and again["ok"] and _counts(engine) == before  # idempotent: nothing new


async def test_a_word_for_a_number_gets_the_chats_message_and_saves_nothing(webapp, engine, small_plan):
    a1 = small_plan["aksi"][small_plan["kegiatan"][0]][0]
    before = _counts(engine)
    body = {"kegiatan_id": small_plan["kegiatan"][0], "quarter": 2,
            "fields": _budi_fields(small_plan, **{f"a{a1}": "lima puluh", "budget": "banyak"})}
    status, answer = await webapp.post("save", body, init_data=webapp.init_data(PIC_ID))
    assert status == 422 and not answer["ok"]
    assert answer["errors"][f"a{a1}"] == "“lima puluh” bukan angka. Ketik angkanya, dengan atau tanpa satuan: misalnya 75, 75%, 45 orang, 1.250 atau 3,5."
    assert "bukan jumlah rupiah" in answer["errors"]["budget"]
    assert "2 isian perlu diperbaiki" in answer["message"]
    assert _counts(engine) == before


async def test_a_locked_quarter_is_refused_and_unchanged(webapp, engine, small_plan):
    with unit_of_work(engine) as session:
        session.add(PeriodLock(plan_id=small_plan["plan"], quarter=2))
    before = _counts(engine)
    body = {"kegiatan_id": small_plan["kegiatan"][0], "quarter": 2, "fields": _budi_fields(small_plan)}
    status, answer = await webapp.post("save", body, init_data=webapp.init_data(PIC_ID))
    assert status == 409 and "dikunci" in answer["message"] and _counts(engine) == before


@pytest.mark.parametrize("body", [{}, {"kegiatan_id": "1", "quarter": 2, "fields": {}},
                                  {"kegiatan_id": 1, "quarter": 2, "fields": ["50"]}])
async def test_a_malformed_save_is_answered_in_indonesian_and_changes_nothing(webapp, engine, small_plan, body):
    before = _counts(engine)
    status, answer = await webapp.post("save", body, init_data=webapp.init_data(PIC_ID))
    assert status == 400 and "tidak bisa dibaca" in answer["message"] and _counts(engine) == before


async def test_a_field_the_form_does_not_have_is_refused(webapp, engine, small_plan):
    before = _counts(engine)
    body = {"kegiatan_id": small_plan["kegiatan"][0], "quarter": 2, "fields": _budi_fields(small_plan, a99999="5")}
    status, answer = await webapp.post("save", body, init_data=webapp.init_data(PIC_ID))
    assert status == 422 and "tidak ada di formulir" in answer["errors"]["a99999"] and _counts(engine) == before


# -- who may: every endpoint, every kind of caller ---------------------------------------------------------

def _init(webapp, who: str) -> str | None:
    return {
        "missing": None,
        "forged": webapp.init_data(PIC_ID, token="123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        "tampered": webapp.init_data(PIC_ID).replace("3001", "3002"),  # Budi's signature, Sari's id
        "expired": webapp.init_data(PIC_ID, age=timedelta(hours=4)),
        "stranger": webapp.init_data(STRANGER_ID),
        "other_pic": webapp.init_data(PIC2_ID),
        "pic": webapp.init_data(PIC_ID),
        "leader": webapp.init_data(LEADER_ID),
    }[who]


@pytest.mark.parametrize(("who", "page", "save"), [
    ("missing", 401, 401),
    ("forged", 401, 401),
    ("tampered", 401, 401),
    ("expired", 401, 401),
    ("stranger", 403, 403),
    ("other_pic", 200, 403),  # Sari has her own page, but may not save Budi's kegiatan
    ("leader", 200, 403),  # leadership reads the digest, never saves a report
    ("pic", 200, 200),
])
async def test_authorization_matrix(webapp, engine, small_plan, who, page, save):
    status, _ = await webapp.post("page", init_data=_init(webapp, who))
    assert status == page
    before = _counts(engine)
    body = {"kegiatan_id": small_plan["kegiatan"][0], "quarter": 2, "fields": _budi_fields(small_plan)}
    status, _ = await webapp.post("save", body, init_data=_init(webapp, who))
    assert status == save
    if save != 200:
        assert _counts(engine) == before


MATRIX_ENDPOINTS = {"/webapp/api/page", "/webapp/api/save"}  # what test_authorization_matrix calls


async def test_every_api_route_is_in_the_authorization_matrix(webapp):
    """A new endpoint without rows in the matrix above fails here (as tests/handlers/test_authz.py does for
    commands and buttons); GET /webapp is the page without data, /healthz the health check."""
    routes = {r.resource.canonical for r in webapp.runner.app.router.routes()}
    assert routes - {"/webapp", "/healthz"} == MATRIX_ENDPOINTS


async def test_a_replayed_request_is_refused_and_changes_nothing(webapp, engine, small_plan):
    init = webapp.init_data(PIC_ID)
    body = {"kegiatan_id": small_plan["kegiatan"][0], "quarter": 2, "fields": _budi_fields(small_plan)}
    assert (await webapp.post("save", body, init_data=init, nonce="n" * 32))[0] == 200
    before = _counts(engine)
    status, text = await webapp.post("save", {**body, "fields": _budi_fields(small_plan, budget="1")},
                                     init_data=init, nonce="n" * 32)
    assert status == 401 and "sudah pernah dikirim" in text and _counts(engine) == before


async def test_the_leadership_page_has_the_chart_the_kegiatan_cards_and_the_late_list(webapp, fake):
    status, body = await webapp.post("page", init_data=webapp.init_data(LEADER_ID))
    assert status == 200
    html = body["html"]
    assert "Ringkasan TW II 2020" in html and 'src="data:image/png;base64,iVBOR' in html
    assert html.count("<details") == 2 and "Belum lapor" in html and "Budi Santoso" in html


async def test_the_page_itself_carries_no_data_and_no_cdn(webapp):
    async with webapp.http.get(f"{webapp.base}/webapp") as response:
        html = await response.text()
    assert response.status == 200 and "tgWebAppData" in html and "Budi" not in html
    assert "http://" not in html and "https://" not in html  # style and script are the repository's


# -- where the Mini App is opened from ----------------------------------------------------------------------

def _web_app_urls(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["web_app"]["url"] for row in rows for b in row if "web_app" in b]


async def test_lapor_a_reminder_and_the_menu_button_open_the_form(webapp, fake):
    from tests.support.outbox_steps import H7
    from tests.support.outbox_steps import tick_and_send
    from tests.support.webapp import WEBAPP_URL

    menu = fake.calls("setChatMenuButton")
    assert menu and menu[-1].params["menu_button"]["web_app"]["url"] == WEBAPP_URL
    fake.send_command(PIC_ID, "/lapor")
    await fake.wait_idle()
    pick = fake.messages_to(PIC_ID)[-1]
    assert _web_app_urls(pick) == [WEBAPP_URL] and "🗂 Buka formulir" in str(pick["reply_markup"])
    await tick_and_send(webapp.harness, H7)
    await fake.wait_idle()
    assert _web_app_urls(fake.messages_to(PIC_ID)[-1]) == [WEBAPP_URL]


async def test_without_webapp_url_there_is_no_button_and_no_page(harness, fake):
    fake.send_command(PIC_ID, "/lapor")
    await fake.wait_idle()
    assert _web_app_urls(fake.messages_to(PIC_ID)[-1]) == [] and not fake.calls("setChatMenuButton")
