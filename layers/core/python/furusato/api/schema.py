"""Request and response shapes, declared once: validation at runtime and the OpenAPI document.

Why not pydantic: importing it and building the first model costs ~170 ms of Lambda cold start
(measured in bench/coldstart.py), more than the rest of a handler. These few field kinds cover
the contract, refuse unknown fields, and name every bad field the way the contract wants.

Every string goes through the one text rule (domain/text.py) by default: NFC and trimmed first,
then validated (no control characters, no lone surrogates, no individual number in free text,
not blank when required). Bodies nested deeper than MAX_DEPTH are refused before any walk.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from furusato.domain import text
from furusato.domain.errors import InvalidInput

_MISSING: Any = object()
# Deeper JSON is refused with 400 (no request shape needs more than a few levels), so nothing
# downstream (validation, hashing, storage) can hit Python's recursion limit.
MAX_DEPTH = 16


def _depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Iterative, so a 100,000-deep value cannot overflow the stack while being measured."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def safe_name(key: Any) -> str:
    """A field name from the request, fit to echo back in an error (escaped when it is not
    clean text, so a lone surrogate or a control character never reaches the response)."""
    name = str(key)
    if text.clean(name, free_text=False)[1] is None and name.isprintable() and len(name) <= 64:
        return name
    return json.dumps(name[:64])[1:-1]


class Field:
    kind = "any"

    def __init__(
        self, *, required: bool = True, nullable: bool = False, default: Any = _MISSING, description: str = ""
    ):
        self.required = required and default is _MISSING
        self.nullable = nullable
        self.default = None if default is _MISSING else default
        self.description = description

    def check(self, value: Any, path: str, errors: dict[str, str]) -> Any:
        if value is None:
            if not self.nullable:
                errors[path] = "must not be null"
            return None
        return self.convert(value, path, errors)

    def convert(self, value: Any, path: str, errors: dict[str, str]) -> Any:
        return value

    def from_text(self, text: str, path: str, errors: dict[str, str]) -> Any:
        """Query string values arrive as text."""
        return self.check(text, path, errors)

    def json_schema(self) -> dict[str, Any]:
        """OpenAPI 3.1 (JSON Schema 2020-12): null is a type of its own, listed where allowed."""
        schema = self._schema()
        if self.nullable:
            if "$ref" in schema:
                schema = {"anyOf": [schema, {"type": "null"}]}
            elif "type" in schema:  # a schema without a type admits null already
                schema["type"] = [schema["type"], "null"]
                if "enum" in schema:
                    schema["enum"] = [*schema["enum"], None]
        if self.description:
            schema["description"] = self.description
        return schema

    def _schema(self) -> dict[str, Any]:
        return {}


class Str(Field):
    """A string under the text rule. `min_length` defaults to 1 for a required field (blank once
    trimmed is refused); `multiline` allows line feeds and tabs; `free_text` (default: unless a
    pattern or choices constrain the value) refuses an individual number. Tokens, cursors and
    identifiers pass `free_text=False`."""

    def __init__(
        self,
        *,
        min_length: int | None = None,
        max_length: int = 1000,
        pattern: str | None = None,
        choices: tuple[str, ...] | None = None,
        multiline: bool = False,
        free_text: bool | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.min_length = min_length if min_length is not None else int(self.required and not self.nullable)
        self.max_length = max_length
        self.pattern = re.compile(pattern) if pattern else None
        self.choices = choices
        self.multiline = multiline
        self.free_text = free_text if free_text is not None else pattern is None and choices is None

    def convert(self, value: Any, path: str, errors: dict[str, str]) -> Any:
        if not isinstance(value, str):
            errors[path] = "must be a string"
            return value
        value, problem = text.clean(value, multiline=self.multiline, free_text=self.free_text)
        if problem:
            errors[path] = problem
        elif self.choices is not None and value not in self.choices:
            errors[path] = f"one of: {', '.join(self.choices)}"
        elif not value and self.min_length:
            errors[path] = "must not be blank"
        elif not self.min_length <= len(value) <= self.max_length:
            errors[path] = f"{self.min_length} to {self.max_length} characters"
        elif self.pattern and not self.pattern.fullmatch(value):
            errors[path] = f"must match {self.pattern.pattern}"
        return value

    def _schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if self.choices:
            schema["enum"] = list(self.choices)
        else:
            if self.min_length:
                schema["minLength"] = self.min_length
            schema["maxLength"] = self.max_length
        if self.pattern:
            schema["pattern"] = self.pattern.pattern
        return schema


class Int(Field):
    def __init__(self, *, ge: int | None = None, le: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.ge, self.le = ge, le

    def convert(self, value: Any, path: str, errors: dict[str, str]) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            errors[path] = "must be an integer"
        elif not text.plain_number(value):
            errors[path] = f"between -{text.MAX_NUMBER} and {text.MAX_NUMBER}"
        elif (self.ge is not None and value < self.ge) or (self.le is not None and value > self.le):
            errors[path] = f"between {self.ge} and {self.le}"
        return value

    def from_text(self, text: str, path: str, errors: dict[str, str]) -> Any:
        if not re.fullmatch(r"-?[0-9]{1,9}", text):
            errors[path] = "must be an integer"
            return None
        return self.check(int(text), path, errors)

    def _schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "integer"}
        if self.ge is not None:
            schema["minimum"] = self.ge
        if self.le is not None:
            schema["maximum"] = self.le
        return schema


class Number(Field):
    def convert(self, value: Any, path: str, errors: dict[str, str]) -> Any:
        if not text.plain_number(value):
            errors[path] = f"a number between -{text.MAX_NUMBER} and {text.MAX_NUMBER}"
        return value

    def _schema(self) -> dict[str, Any]:
        return {"type": "number"}


class Bool(Field):
    def convert(self, value: Any, path: str, errors: dict[str, str]) -> Any:
        if not isinstance(value, bool):
            errors[path] = "must be true or false"
        return value

    def from_text(self, text: str, path: str, errors: dict[str, str]) -> Any:
        if text not in ("true", "false"):
            errors[path] = "true or false"
            return None
        return text == "true"

    def _schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


class Date(Field):
    """YYYY-MM-DD, a real calendar date (2026-02-30 is refused, never shifted)."""

    def convert(self, value: Any, path: str, errors: dict[str, str]) -> Any:
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            errors[path] = "a date YYYY-MM-DD"
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            errors[path] = "not a calendar date"
            return None

    def _schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date"}


class Instant(Field):
    """ISO 8601 with its offset: a naive local time would be ambiguous."""

    def convert(self, value: Any, path: str, errors: dict[str, str]) -> Any:
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            errors[path] = "an ISO 8601 instant with its offset, e.g. 2026-05-10T09:00:00+09:00"
            return None
        return parsed

    def _schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}


class List(Field):
    def __init__(self, item: Field, *, min_items: int = 0, max_items: int = 100, **kwargs: Any):
        super().__init__(**kwargs)
        self.item, self.min_items, self.max_items = item, min_items, max_items

    def convert(self, value: Any, path: str, errors: dict[str, str]) -> Any:
        if not isinstance(value, list):
            errors[path] = "must be a list"
            return None
        if not self.min_items <= len(value) <= self.max_items:
            errors[path] = f"{self.min_items} to {self.max_items} items"
            return None
        return [self.item.check(v, f"{path}[{i}]", errors) for i, v in enumerate(value)]

    def _schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.json_schema(), "maxItems": self.max_items}


class FreeMap(Field):
    """A JSON object whose keys are data (e.g. survey answers by question id); checked later.
    Every string in it, keys included, is held to the text rule (multi-line allowed) here."""

    def __init__(self, *, max_keys: int = 100, **kwargs: Any):
        super().__init__(**kwargs)
        self.max_keys = max_keys

    def convert(self, value: Any, path: str, errors: dict[str, str]) -> Any:
        if not isinstance(value, dict):
            errors[path] = "must be an object"
            return value
        if len(value) > self.max_keys:
            errors[path] = f"at most {self.max_keys} keys"
            return value
        return self._clean(value, path, errors)

    def _clean(self, value: Any, path: str, errors: dict[str, str]) -> Any:
        if isinstance(value, str):
            cleaned, problem = text.clean(value, multiline=True)
            if problem:
                errors[path] = problem
            return cleaned
        if isinstance(value, list):
            return [self._clean(v, f"{path}[{i}]", errors) for i, v in enumerate(value)]
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, inner in value.items():
                name, problem = text.clean(key, free_text=False)
                if problem:
                    errors[f"{path}.{safe_name(key)}"] = f"name {problem}"
                out[name] = self._clean(inner, f"{path}.{safe_name(name)}", errors)
            return out
        return value

    def _schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": True}


class Obj(Field):
    """A JSON object with exactly these fields: unknown ones are refused, never stored."""

    def __init__(self, name: str, fields: Mapping[str, Field], **kwargs: Any):
        super().__init__(**kwargs)
        self.name = name
        self.fields = dict(fields)

    def convert(self, value: Any, path: str, errors: dict[str, str]) -> Any:
        if not isinstance(value, dict):
            errors[path or "body"] = "must be a JSON object"
            return None
        out: dict[str, Any] = {}
        prefix = f"{path}." if path else ""
        for key in value:
            if key not in self.fields:
                errors[f"{prefix}{safe_name(key)}"] = "unknown field"
        for key, field in self.fields.items():
            if key in value:
                out[key] = field.check(value[key], f"{prefix}{key}", errors)
            elif field.required:
                errors[f"{prefix}{key}"] = "required"
            else:
                out[key] = field.default
        return out

    def _schema(self) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{self.name}"}

    def component(self) -> dict[str, Any]:
        required = [k for k, f in self.fields.items() if f.required]
        schema: dict[str, Any] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {k: f.json_schema() for k, f in self.fields.items()},
        }
        if required:
            schema["required"] = required
        return schema

    def nested(self) -> list[Obj]:
        """This object and every object inside it, for the OpenAPI components."""
        found: list[Obj] = [self]
        for field in self.fields.values():
            inner = field.item if isinstance(field, List) else field
            if isinstance(inner, Obj):
                found += inner.nested()
        return found

    def parse_json(self, body: str | None) -> dict[str, Any]:
        try:
            value = json.loads(body) if body else None
        except ValueError as exc:
            raise InvalidInput("the body is not valid JSON", details={"body": "not valid JSON"}) from exc
        except RecursionError as exc:
            raise _too_deep() from exc
        return self.parse(value)

    def parse(self, value: Any) -> dict[str, Any]:
        if _depth_exceeds(value):
            raise _too_deep()
        errors: dict[str, str] = {}
        if value is None:
            errors["body"] = "a JSON object is required"
            result = None
        else:
            result = self.convert(value, "", errors)
        if errors:
            raise InvalidInput("the request is invalid", details=errors)
        assert result is not None
        return result

    def parse_query(self, params: Mapping[str, str] | None) -> dict[str, Any]:
        """Query parameters: unknown ones are refused too, so a typo is never silently ignored."""
        errors: dict[str, str] = {}
        params = params or {}
        out: dict[str, Any] = {}
        for key in params:
            if key not in self.fields:
                errors[safe_name(key)] = "unknown parameter"
        for key, field in self.fields.items():
            if key in params:
                out[key] = field.from_text(params[key], key, errors)
            elif field.required:
                errors[key] = "required"
            else:
                out[key] = field.default
        if errors:
            raise InvalidInput("the request is invalid", details=errors)
        return out


def _too_deep() -> InvalidInput:
    return InvalidInput(
        "the body is nested too deeply", details={"body": f"nested deeper than {MAX_DEPTH} levels"}
    )
