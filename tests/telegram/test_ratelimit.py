"""The production rate limiter: a reply is not queued behind bulk sends; a 429 on a reply queues replies again."""

import asyncio

from tests.support.harness import PIC2_ID
from tests.support.harness import PIC_ID
from tests.support.harness import BotHarness

OTHERS = list(range(700001, 700013))


async def _bulk(harness, fake, users: list[int]) -> list[asyncio.Task]:
    """Messages to other people, sent outside any update (as the reminder dispatcher does)."""
    tasks = [asyncio.create_task(harness.app.bot.send_message(user, "Pengingat")) for user in users]
    await fake.wait_for(lambda: any(c.chat_id in users for c in fake.calls("sendMessage")))
    return tasks


def _order(fake, chat_id: int) -> int:
    """Position of the first delivered sendMessage to `chat_id` among all sendMessage calls."""
    calls = [c for c in fake.calls("sendMessage") if c.ok]
    return next(i for i, c in enumerate(calls) if c.chat_id == chat_id)


async def test_a_reply_does_not_wait_behind_bulk_sends(fake, db_url, small_plan):
    # Bulk at 1 message/s: 6 messages to others take 5 s. The PIC's /lapor is answered at once, while
    # most of them still wait (a single queue would put the answer after all 6).
    for user in OTHERS:
        fake.add_user(user, f"Pegawai {user}")
    harness = BotHarness(fake, db_url, telegram_max_messages_per_second=1)
    await harness.start()
    bulk = await _bulk(harness, fake, OTHERS[:6])
    try:
        fake.send_command(PIC_ID, "/lapor")
        await fake.wait_for_message(PIC_ID, contains="TW II 2020")
        assert _order(fake, PIC_ID) < 6
        assert sum(c.chat_id in OTHERS for c in fake.calls("sendMessage")) < 6
    finally:
        for task in bulk:
            task.cancel()
        await asyncio.gather(*bulk, return_exceptions=True)
        await harness.stop()


async def test_after_a_429_on_a_reply_replies_queue_with_bulk_sends(fake, db_url, small_plan):
    # Telegram refuses Sari's answer once: it goes out after retry_after, and for the cool-down that
    # follows Budi's answer waits its turn behind the 3 bulk messages queued before it.
    fake.fail_next("sendMessage", "429", retry_after=0.05, chat_id=PIC2_ID)
    for user in OTHERS:
        fake.add_user(user, f"Pegawai {user}")
    harness = BotHarness(fake, db_url, telegram_max_messages_per_second=1)
    await harness.start()
    try:
        fake.send_command(PIC2_ID, "/lapor")
        await fake.wait_for_message(PIC2_ID)
        refused, sent = [c for c in fake.calls("sendMessage") if c.chat_id == PIC2_ID]
        assert refused.status == 429 and sent.ok and sent.time - refused.time >= 0.05
        bulk = await _bulk(harness, fake, OTHERS[:3])
        fake.send_command(PIC_ID, "/lapor")
        await fake.wait_for_message(PIC_ID, contains="TW II 2020", timeout=10)
        await asyncio.gather(*bulk)
        last_bulk = max(_order(fake, user) for user in OTHERS[:3])
        assert _order(fake, PIC_ID) > last_bulk
    finally:
        await harness.stop()


async def test_when_telegram_caps_replies_every_one_still_arrives(fake, db_url, small_plan):
    # Telegram lets 5 messages/s through and 12 people write at once: 5 answers go, 7 get 429 with
    # retry_after 1 s. Those 7 wait it out and go at the bulk pace; nobody is left without an answer.
    fake.set_rate_limit(per_second=5)
    for user in OTHERS:
        fake.add_user(user, f"Tamu {user}")
    harness = BotHarness(fake, db_url, telegram_max_messages_per_second=5)
    await harness.start()
    try:
        for user in OTHERS:
            fake.send_command(user, "/lapor")
        for user in OTHERS:
            await fake.wait_for_message(user, timeout=15)
        # How many are capped depends on how fast the 12 replies leave (a slow machine spreads them over
        # more than a second); what matters is that some were, and that those still arrived, once.
        assert fake.stats.rate_limited >= 1
        assert all(sum(c.ok for c in fake.calls("sendMessage") if c.chat_id == user) == 1 for user in OTHERS)
    finally:
        await harness.stop()
