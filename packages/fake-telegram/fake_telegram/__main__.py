"""Run the fake Bot API server alone: `python -m fake_telegram --port 8081`.

Point a bot at the printed URLs (base_url / base_file_url); violations are logged as they happen.
"""

import argparse
import asyncio
import contextlib
import logging

from fake_telegram.server import FakeTelegram


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fake_telegram", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument("--bot-username", default="rapk_test_bot")
    parser.add_argument("--spec", default=None, help="path to api.json (default: $RAPK_BOT_API_SPEC or the packaged copy)")
    parser.add_argument("--user", action="append", default=[], metavar="ID:NAME",
                        help="a user the bot may write to, e.g. 1001:Budi (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeTelegram(args.token, args.bot_username, args.spec)
    for spec in args.user:
        user_id, _, name = spec.partition(":")
        fake.add_user(int(user_id), name or f"User{user_id}")
    await fake.start(args.port, args.host)
    try:
        print(f"fake Telegram Bot API ({fake.spec.version}, spec {fake.spec.path})")
        print(f"  token          {fake.token}")
        print(f"  base_url       {fake.base_url}")
        print(f"  base_file_url  {fake.base_file_url}", flush=True)
        await asyncio.Event().wait()  # until Ctrl-C
    finally:
        await fake.stop()
        if fake.events:
            print(fake.transcript())


if __name__ == "__main__":
    main()
