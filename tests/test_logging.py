"""The bot token never reaches a log line, whoever logs it (httpx puts it in every request URL)."""

import logging

from bot.telegram.app import setup_logging

TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_token_is_redacted_from_every_log_line(caplog):
    setup_logging("DEBUG", TOKEN)
    caplog.handler.addFilter(logging.getLogger().handlers[0].filters[0])
    logging.getLogger("httpx").warning("HTTP Request: POST https://api.telegram.org/bot%s/getUpdates", TOKEN)
    logging.getLogger("rapk.test").error("failed with token %s in it", TOKEN)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert TOKEN not in text and "bot<token>/getUpdates" in text
