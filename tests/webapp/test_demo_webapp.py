"""`rapk demo --webapp`: the printed links carry initData the bot accepts (the demo itself is not replayed here)."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from urllib.parse import parse_qs
from urllib.parse import urlsplit

from bot.cli.demo import BUDI
from bot.cli.demo import KABAN
from bot.cli.demo import build_parser_args
from bot.cli.demo import webapp_links
from bot.domain.webapp_auth import validate_init_data


def test_the_demo_links_are_signed_for_budi_and_the_kepala_badan():
    now = datetime(2020, 7, 20, 2, 0, tzinfo=UTC)
    links = webapp_links("http://127.0.0.1:8090/webapp", "123456:DEMO-TOKEN-NOT-REAL", now)
    users = []
    for _, url in links:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://127.0.0.1:8090/webapp"
        init = parse_qs(parts.fragment)["tgWebAppData"][0]
        users.append(validate_init_data(init, bot_token="123456:DEMO-TOKEN-NOT-REAL", now=now,
                                        max_age=timedelta(hours=1)).telegram_user_id)
    assert users == [BUDI, KABAN]


def test_webapp_is_an_option_of_the_demo():
    args = build_parser_args(["--webapp", "--webapp-port", "8123"])
    assert args.webapp and args.webapp_port == 8123
    assert not build_parser_args([]).webapp
