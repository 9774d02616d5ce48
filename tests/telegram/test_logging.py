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


def test_token_is_redacted_from_logged_tracebacks():
    """`rapk run` with a bad TELEGRAM_BASE_URL logged the token inside exception text and URLs."""
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    from bot.telegram.app import TokenRedactingFilter

    handler.addFilter(TokenRedactingFilter(TOKEN))
    log = logging.getLogger("rapk.test.tb")
    log.addHandler(handler)
    try:
        raise ValueError(f"invalid URL 127.0.0.1:8081/bot{TOKEN}/getMe")
    except ValueError:
        log.exception("start failed")
    log.removeHandler(handler)
    text = stream.getvalue()
    assert "Traceback" in text and "ValueError: invalid URL" in text
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
