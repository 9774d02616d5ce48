"""Steps shared by the verification and leadership-feedback tests: Budi's TW II report through /lapor."""

from tests.support.harness import PIC_ID

KEGIATAN = "📝 Pendidikan dan Pelatihan Teknis"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")


async def said(fake, user=PIC_ID, text=None, press=None, photo=None, chat=None):
    """`user` types, taps or sends a photo (in `chat`, their private chat by default); the bot's texts after."""
    chat = user if chat is None else chat
    before = len(fake.messages_to(chat))
    group = None if chat == user else chat
    if text is not None:
        fake.send_message(user, text, chat_id=group) if not text.startswith("/") else \
            fake.send_command(user, text, chat_id=group)
    elif press is not None:
        fake.press(user, press, chat_id=group)
    elif photo is not None:
        fake.send_photo(user, photo)
    await fake.wait_idle()
    return "\n---\n".join(m.get("text") or m.get("caption") or "" for m in fake.messages_to(chat)[before:])


async def budi_reports(fake, first_aksi: str = "50%") -> str:
    """Budi's TW II report of «Pendidikan dan Pelatihan Teknis» on the small plan, two photos as evidence;
    the bot's answer to Simpan."""
    await said(fake, text="/lapor")
    await said(fake, press=KEGIATAN)
    await said(fake, text=first_aksi)
    await said(fake, press="🎯 Sesuai target")
    await said(fake, text="125jt")
    await said(fake, text="30")
    await said(fake, press="Tidak ada")
    await said(fake, text="Diklat lanjutan TW III")
    await said(fake, press="Tidak ada")  # faktor pendorong
    await said(fake, photo=PNG)
    await said(fake, photo=PNG + b"\x00")  # a second, different file
    await said(fake, press="Selesai")
    return await said(fake, press="💾 Simpan")
