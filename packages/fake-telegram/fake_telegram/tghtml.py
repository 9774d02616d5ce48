"""Telegram's HTML parse mode, parsed the way Telegram's server does (tdlib `parse_html`).

`parse_html(text)` returns the plain text and the entities Telegram would derive, or raises
`HtmlError` with the description Telegram answers ("Unsupported start tag "br" at byte offset
12"...). Telegram itself keeps a stray `&` or `>` as text, but the Bot API documentation requires
escaping them; `parse_html` reports those separately as `warnings` so the fake can flag them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field

TAG_ENTITY = {
    "b": "bold", "strong": "bold",
    "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler",
    "a": "text_link",
    "code": "code", "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_SPACE = " \t\r\n\f\v"


class HtmlError(ValueError):
    """Telegram rejects the text: `str(error)` is the part after "can't parse entities: "."""


@dataclass
class ParsedText:
    """Plain text, entities (UTF-16 offsets, as in the Bot API) and doc-rule warnings."""

    text: str
    entities: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Open:
    tag: str
    start: int  # UTF-16 offset in the output
    attrs: dict[str, str]
    language: str | None = None


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, i: int) -> tuple[str, int] | None:
    """The character an entity at source[i] ('&') stands for and the index after it."""
    match = _ENTITY_RE.match(source, i)
    if not match:
        return None
    body = match.group(1)
    if body.startswith("#"):
        code = int(body[2:], 16) if body[1:2] in ("x", "X") else int(body[1:])
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), match.end()
    char = NAMED_ENTITIES.get(body)
    return (char, match.end()) if char else None


def _decode_value(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "&" and (decoded := _decode_entity(value, i)):
            out.append(decoded[0])
            i = decoded[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _parse_attributes(source: str, i: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    """Attributes from source[i] up to and including '>'; returns them and the index after."""
    attrs: dict[str, str] = {}
    n = len(source)
    while True:
        while i < n and source[i] in _SPACE:
            i += 1
        if i >= n:
            raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        if source[i] == ">":
            return attrs, i + 1
        name_start = i
        while i < n and source[i] not in _SPACE and source[i] not in "=>":
            i += 1
        name = source[name_start:i].lower()
        while i < n and source[i] in _SPACE:
            i += 1
        if i >= n:
            raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        if source[i] != "=":
            if tag == "blockquote" and name == "expandable":
                attrs[name] = ""
                continue
            raise HtmlError(
                f"Expected equal sign in declaration of an attribute of the tag \"{tag}\" "
                f"at byte offset {_byte_offset(source, begin)}")
        i += 1
        while i < n and source[i] in _SPACE:
            i += 1
        if i >= n:
            raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        if source[i] in "\"'":
            quote = source[i]
            end = source.find(quote, i + 1)
            if end < 0:
                raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
            value = source[i + 1:end]
            i = end + 1
        else:
            value_start = i
            while i < n and source[i] not in _SPACE and source[i] != ">":
                i += 1
            value = source[value_start:i]
        attrs[name] = _decode_value(value)


def parse_html(source: str) -> ParsedText:
    """Parse Telegram HTML; raise HtmlError exactly where Telegram refuses the text."""
    out: list[str] = []
    pos16 = 0  # UTF-16 length of the output so far (entity offsets)
    stack: list[_Open] = []
    entities: list[dict] = []
    warnings: list[str] = []
    i, n = 0, len(source)

    def emit(chunk: str) -> None:
        nonlocal pos16
        out.append(chunk)
        pos16 += utf16_len(chunk)

    while i < n:
        c = source[i]
        if c == "&":
            decoded = _decode_entity(source, i)
            if decoded:
                emit(decoded[0])
                i = decoded[1]
                continue
            named = re.match(r"&[a-zA-Z]+;", source[i:])
            if named:
                warnings.append(f"unsupported entity {named.group(0)} at byte offset "
                                f"{_byte_offset(source, i)} (only &lt; &gt; &amp; &quot; and &#N;)")
            else:
                warnings.append(f"unescaped '&' at byte offset {_byte_offset(source, i)} (write &amp;)")
            emit(c)
            i += 1
            continue
        if c == ">":
            warnings.append(f"unescaped '>' at byte offset {_byte_offset(source, i)} (write &gt;)")
        if c != "<":
            emit(c)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and source[i] == "/":
            end = source.find(">", i)
            if end < 0:
                raise HtmlError(f"Unclosed end tag at byte offset {_byte_offset(source, begin)}")
            name = source[i + 1:end].strip().lower()
            if not stack:
                raise HtmlError(f"Unexpected end tag at byte offset {_byte_offset(source, begin)}")
            top = stack.pop()
            if name != top.tag:
                raise HtmlError(
                    f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
                    f"expected \"</{top.tag}>\", found \"</{name}>\"")
            _close(top, pos16, stack, entities)
            i = end + 1
            continue
        name_start = i
        while i < n and source[i] not in _SPACE and source[i] != ">":
            i += 1
        if i >= n:
            raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        tag = source[name_start:i].lower()
        if tag not in TAG_ENTITY:
            raise HtmlError(f"Unsupported start tag \"{tag}\" at byte offset {_byte_offset(source, begin)}")
        attrs, i = _parse_attributes(source, i, tag, begin)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlError("Tag \"span\" must have class \"tg-spoiler\"")
        if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise HtmlError("Custom emoji entity must contain a tg://emoji URL")
        if tag == "blockquote" and any(o.tag == "blockquote" for o in stack):
            raise HtmlError("Blockquote entities can't be nested")
        stack.append(_Open(tag, pos16, attrs))
    if stack:
        raise HtmlError(f"Can't find end tag corresponding to start tag \"{stack[-1].tag}\"")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(out), entities, warnings)


def _close(opened: _Open, pos16: int, stack: list[_Open], entities: list[dict]) -> None:
    length = pos16 - opened.start
    kind = TAG_ENTITY[opened.tag]
    if opened.tag == "code" and stack and stack[-1].tag == "pre":
        # <pre><code class="language-x"> is one pre entity carrying the language.
        cls = opened.attrs.get("class", "")
        if cls.startswith("language-"):
            stack[-1].language = cls[len("language-"):]
            return
    if length <= 0:
        return
    entity: dict = {"type": kind, "offset": opened.start, "length": length}
    if kind == "text_link":
        href = opened.attrs.get("href", "")
        if not href:
            return  # Telegram drops a link without a URL and keeps the text
        entity["url"] = href  # tg://user?id= mentions stay links here: the fake has no user lookup
    elif kind == "pre" and opened.language:
        entity["language"] = opened.language
    elif kind == "blockquote" and "expandable" in opened.attrs:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = opened.attrs["emoji-id"]
    entities.append(entity)


def strip_html(source: str) -> str:
    """Plain text of Telegram HTML, or the source unchanged when it does not parse."""
    try:
        return parse_html(source).text
    except HtmlError:
        return source
