"""Every user-facing message comes from a Jinja2 template in templates/<lang>/."""

from functools import lru_cache
from html import escape
from pathlib import Path

from jinja2 import ChoiceLoader
from jinja2 import Environment
from jinja2 import FileSystemLoader
from jinja2 import StrictUndefined
from jinja2 import select_autoescape

from bot.text import formatting

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


@lru_cache(maxsize=4)
def environment(lang: str = "id") -> Environment:
    """A Jinja2 environment for one language, falling back to Indonesian for a missing template."""
    dirs = [TEMPLATES_DIR / lang] if lang != "id" else []
    loader = ChoiceLoader([FileSystemLoader(str(d)) for d in [*dirs, TEMPLATES_DIR / "id"]])
    env = Environment(
        loader=loader,
        # Telegram HTML: escape every user-supplied string.
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # The templates ship with the code: each is compiled once per process and never checked on disk
        # again (a stat per message otherwise); an edited template takes effect at the next start.
        auto_reload=False,
    )
    env.filters.update(
        number=lambda v, decimals=None: formatting.number(v, lang, decimals=decimals),
        rupiah=lambda v: formatting.rupiah(v, lang),
        percent=lambda v, decimals=1: formatting.percent(v, lang, decimals=decimals),
        long_date=lambda v: formatting.long_date(v, lang),
        full_date=lambda v: formatting.full_date(v, lang),
        date_time=lambda v: formatting.date_time(v, lang),
        tw=formatting.quarter_label,
    )
    env.globals["lang"] = lang
    return env


def render(template: str, lang: str = "id", /, **context) -> str:
    """Render templates/<lang>/<template>.j2 (HTML for Telegram) and strip surrounding blank lines."""
    return environment(lang).get_template(f"{template}.j2").render(**context).strip()


@lru_cache(maxsize=4)
def text_environment(lang: str = "id") -> Environment:
    """The same templates and filters without HTML escaping, for terminal output."""
    env = environment(lang).overlay(autoescape=False)
    env.filters = dict(env.filters)  # an overlay shares the parent's filter dict; keep them apart
    return env


def plain(template: str, lang: str = "id", /, **context) -> str:
    """Render a template for a terminal: the same text, nothing HTML-escaped."""
    return text_environment(lang).get_template(f"{template}.j2").render(**context).strip()


def macro(template: str, code: str, lang: str = "id", /, **params) -> str:
    """Call one macro of templates/<lang>/<template>.j2 as plain text (a template that shows it escapes it)."""
    return getattr(text_environment(lang).get_template(f"{template}.j2").module, code)(**params).strip()


def message(item, lang: str = "id", /) -> str:
    """A domain message (an error or anomaly with `template`, `code` and `params`) in one language.

    Each family of messages is one template file of macros, one macro per code. A `frame` macro,
    when the item names one, wraps the message (`Baris 12: …`).
    """
    text = macro(item.template, item.code, lang, **item.params)
    frame = getattr(item, "frame", None)
    return macro(item.template, frame, lang, text=text, error=item) if frame else text


__all__ = ["environment", "escape", "labels", "macro", "message", "plain", "render"]


@lru_cache(maxsize=32)
def labels(name: str, lang: str = "id") -> dict[str, str]:
    """Short labels (button texts) kept as `key=text` lines in templates/<lang>/<name>.j2."""
    text = environment(lang).get_template(f"{name}.j2").render()
    return {k.strip(): v.strip() for k, v in (line.split("=", 1) for line in text.splitlines() if "=" in line)}
