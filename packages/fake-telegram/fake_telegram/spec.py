"""The Bot API reference (api.json) and the type checks the fake server runs on every request.

api.json is the machine-readable Bot API from PaulSonOfLars/telegram-bot-api-spec (MIT). It ships
inside this package (fake_telegram/data/api.json), so the server checks requests with nothing
beside the repository; RAPK_BOT_API_SPEC or an explicit path points it at another copy.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SPEC_ENV = "RAPK_BOT_API_SPEC"
PACKAGED_SPEC = Path(__file__).resolve().parent / "data" / "api.json"

_INT_RE = re.compile(r"-?\d+")
_DISCRIMINATOR_RE = re.compile(r"must be ([A-Za-z_]+)")
_ATTACH_RE = re.compile(r"attach://([A-Za-z0-9_\-]+)")
# python-telegram-bot fills these from ext.Defaults into every request routed through its
# generic send path, including methods without such a field (editMessageReplyMarkup gets
# parse_mode). Telegram ignores them; they are the library's doing, not the bot's mistake.
PTB_DEFAULT_PARAMS = frozenset({
    "parse_mode", "disable_notification", "protect_content", "allow_sending_without_reply",
    "explanation_parse_mode", "text_parse_mode", "question_parse_mode",
})
_JSON_NAMES = {"Integer": "an Integer", "String": "a String", "Boolean": "a Boolean", "Float": "a Float"}


def locate_spec(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Find api.json: an explicit path, then $RAPK_BOT_API_SPEC, then the packaged copy."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(SPEC_ENV)
    if env:
        return Path(env)
    return PACKAGED_SPEC


class FileRef:
    """A multipart file part as the validator sees it (the server keeps the bytes)."""

    def __init__(self, filename: str, content: bytes, content_type: str):
        self.filename = filename
        self.content = content
        self.content_type = content_type

    def __repr__(self) -> str:
        return f"FileRef({self.filename!r}, {len(self.content)} bytes)"


@dataclass(frozen=True)
class SpecProblem:
    """One way a request breaks the Bot API reference."""

    field: str
    message: str
    description: str  # what Telegram answers, e.g. "Bad Request: chat_id is empty"


class ApiSpec:
    """Methods and types of the Bot API with a checker for requests against them."""

    def __init__(self, data: dict[str, Any], path: Path | None = None):
        self.path = path
        self.version: str = data.get("version", "?")
        self.methods: dict[str, dict[str, Any]] = data["methods"]
        self.types: dict[str, dict[str, Any]] = data["types"]
        # Telegram matches method names case-insensitively (sendmessage works).
        self._by_lower = {name.lower(): name for name in self.methods}

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> ApiSpec:
        return _load_cached(str(locate_spec(path).resolve()))

    def method_name(self, name: str) -> str | None:
        """The canonical method name, or None when the API has no such method."""
        return self._by_lower.get(name.lower())

    def fields(self, owner: str) -> dict[str, dict[str, Any]]:
        entry = self.methods.get(owner) or self.types.get(owner) or {}
        return {f["name"]: f for f in entry.get("fields", [])}

    # -- requests -------------------------------------------------------------------------------

    def check_request(
        self, method: str, raw: dict[str, str | FileRef]
    ) -> tuple[dict[str, Any], list[SpecProblem]]:
        """Decode form values by the method's field types; list every problem found.

        `raw` holds what arrived on the wire: strings (form, query or JSON re-encoded the way
        Telegram's server does) or uploaded file parts. Returns the decoded parameters.
        """
        fields = self.fields(method)
        decoded: dict[str, Any] = {}
        problems: list[SpecProblem] = []
        # Files uploaded as attach://<name> (InputMedia, thumbnails) are parts named freely,
        # not parameters: the value that points at one stands for the file.
        attach_targets = {name for v in raw.values() if isinstance(v, str)
                          for name in _ATTACH_RE.findall(v)}
        for name, value in raw.items():
            if name in attach_targets and isinstance(value, FileRef):
                continue
            if isinstance(value, str) and value.startswith("attach://"):
                part = raw.get(value[len("attach://"):])
                value = part if isinstance(part, FileRef) else value
            field = fields.get(name)
            if field is None and name in PTB_DEFAULT_PARAMS:
                continue
            if field is None:
                problems.append(SpecProblem(
                    name, f"unknown parameter {name!r} for {method}",
                    f"Bad Request: fake API: unknown parameter \"{name}\" of method {method}"))
                continue
            ok, result, why = self._decode_top(field["types"], value, name)
            if not ok:
                problems.append(SpecProblem(name, why, _type_description(name, why)))
                continue
            decoded[name] = result
        for name, field in fields.items():
            if field.get("required") and name not in raw:
                problems.append(SpecProblem(
                    name, f"missing required parameter {name!r}", _missing_description(name)))
        return decoded, problems

    def _decode_top(self, types: list[str], value: str | FileRef, path: str) -> tuple[bool, Any, str]:
        """Decode one form value against the alternatives a field allows."""
        if isinstance(value, FileRef):
            if "InputFile" in types:
                return True, value, ""
            return False, None, f"{path}: a file was uploaded where {' or '.join(types)} is expected"
        reasons = []
        for type_name in types:
            ok, result, why = self._decode_string(type_name, value, path)
            if ok:
                return True, result, ""
            reasons.append(why)
        return False, None, "; ".join(dict.fromkeys(reasons))

    def _decode_string(self, type_name: str, value: str, path: str) -> tuple[bool, Any, str]:
        if type_name == "String":
            return True, value, ""
        if type_name == "InputFile":
            # A string for an InputFile is a file_id, URL or attach:// reference: accepted by
            # the "InputFile or String" alternative, never by a bare InputFile field.
            return False, None, f"{path}: expected an uploaded file"
        if type_name == "Integer":
            if _INT_RE.fullmatch(value.strip()):
                return True, int(value), ""
            return False, None, f"{path}: expected an Integer, got {value!r}"
        if type_name == "Float":
            try:
                return True, float(value), ""
            except ValueError:
                return False, None, f"{path}: expected a Float, got {value!r}"
        if type_name == "Boolean" or type_name == "True":
            lowered = value.strip().lower()
            if lowered in ("true", "1"):
                return True, True, ""
            if lowered in ("false", "0") and type_name == "Boolean":
                return True, False, ""
            return False, None, f"{path}: expected a Boolean, got {value!r}"
        # Arrays and objects travel JSON-encoded inside the form value.
        try:
            parsed = json.loads(value)
        except ValueError:
            return False, None, f"{path}: expected JSON-serialized {type_name}, got {value[:60]!r}"
        errors = self.check_value(type_name, parsed, path)
        if errors:
            return False, None, errors[0]
        return True, parsed, ""

    # -- JSON values ----------------------------------------------------------------------------

    def check_value(self, type_name: str, value: Any, path: str) -> list[str]:
        """Problems of a decoded JSON value against a spec type ('Array of X', object, scalar)."""
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{path}: expected an array ({type_name}), got {_json_kind(value)}"]
            inner = type_name[len("Array of "):]
            errors: list[str] = []
            for i, item in enumerate(value):
                errors.extend(self.check_value(inner, item, f"{path}[{i}]"))
            return errors
        if type_name in ("Integer", "String", "Boolean", "Float", "True"):
            return [] if _scalar_ok(type_name, value) else [
                f"{path}: expected {_JSON_NAMES.get(type_name, type_name)}, got {_json_kind(value)}"]
        if type_name == "InputFile":
            return [] if isinstance(value, str) else [f"{path}: expected a file reference string"]
        spec_type = self.types.get(type_name)
        if spec_type is None:
            return [f"{path}: type {type_name} is not in the Bot API reference"]
        if not isinstance(value, dict):
            return [f"{path}: expected a {type_name} object, got {_json_kind(value)}"]
        if spec_type.get("subtypes"):
            return self._check_abstract(spec_type["subtypes"], value, path)
        return self._check_object(type_name, value, path)

    def check_union(self, types: list[str], value: Any, path: str) -> list[str]:
        """Problems of a value against alternatives: none if any alternative accepts it."""
        best: list[str] | None = None
        for type_name in types:
            errors = self.check_value(type_name, value, path)
            if not errors:
                return []
            if best is None or len(errors) < len(best):
                best = errors
        return best or [f"{path}: matches none of {types}"]

    def _check_abstract(self, subtypes: list[str], value: dict[str, Any], path: str) -> list[str]:
        # Abstract types (BotCommandScope, MenuButton, InputMedia...) are told apart by their
        # discriminator field, documented as "must be <value>".
        for sub in subtypes:
            for field in self.types.get(sub, {}).get("fields", []):
                if field["name"] in ("type", "source", "status") and field.get("required"):
                    found = _DISCRIMINATOR_RE.search(" ".join([field.get("description", "")]))
                    if found and value.get(field["name"]) == found.group(1):
                        return self._check_object(sub, value, path)
        return self.check_union(subtypes, value, path)

    def _check_object(self, type_name: str, value: dict[str, Any], path: str) -> list[str]:
        fields = self.fields(type_name)
        errors = []
        for key, item in value.items():
            field = fields.get(key)
            if field is None:
                errors.append(f"{path}.{key}: {type_name} has no field {key!r}")
                continue
            errors.extend(self.check_union(field["types"], item, f"{path}.{key}"))
        for key, field in fields.items():
            if field.get("required") and key not in value:
                errors.append(f"{path}: {type_name} requires {key!r}")
        return errors


@lru_cache(maxsize=4)
def _load_cached(path: str) -> ApiSpec:
    with open(path, encoding="utf-8") as fh:
        return ApiSpec(json.load(fh), Path(path))


def _scalar_ok(type_name: str, value: Any) -> bool:
    if type_name == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "Boolean":
        return isinstance(value, bool)
    if type_name == "True":
        return value is True
    return isinstance(value, str)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a Boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__


def _missing_description(name: str) -> str:
    # The wording Telegram uses for the parameters a bot most often forgets.
    known = {
        "text": "Bad Request: message text is empty",
        "chat_id": "Bad Request: chat_id is empty",
        "callback_query_id": "Bad Request: query_id is empty",
        "file_id": "Bad Request: file_id not specified",
    }
    return known.get(name, f"Bad Request: parameter \"{name}\" is required")


def _type_description(name: str, why: str) -> str:
    if name == "chat_id":
        return "Bad Request: chat not found"
    if name == "reply_markup":
        return "Bad Request: can't parse reply keyboard markup JSON object"
    if name == "message_id":
        return "Bad Request: message identifier is not specified"
    return f"Bad Request: fake API: {why}"
