"""Request and response shapes, declared once: validation at runtime and the OpenAPI document.

Why not pydantic: importing it and building the first model costs ~170 ms of Lambda cold start
(measured in bench/coldstart.py), more than the rest of a handler. These few field kinds cover
the contract, refuse unknown fields, and name every bad field the way the contract wants.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from furusato.domain.errors import InvalidInput

_MISSING: Any = object()


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
    def __init__(
        self,
        *,
        min_length: int = 0,
        max_length: int = 1000,
        pattern: str | None = None,
        choices: tuple[str, ...] | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.min_length, self.max_length = min_length, max_length
        self.pattern = re.compile(pattern) if pattern else None
        self.choices = choices

    def convert(self, value: Any, path: str, errors: dict[str, str]) -> Any:
        if not isinstance(value, str):
            errors[path] = "must be a string"
        elif self.choices is not None and value not in self.choices:
            errors[path] = f"one of: {', '.join(self.choices)}"
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
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            errors[path] = "must be a number"
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
    """A JSON object whose keys are data (e.g. survey answers by question id); checked later."""

    def __init__(self, *, max_keys: int = 100, **kwargs: Any):
        super().__init__(**kwargs)
        self.max_keys = max_keys

    def convert(self, value: Any, path: str, errors: dict[str, str]) -> Any:
        if not isinstance(value, dict):
            errors[path] = "must be an object"
        elif len(value) > self.max_keys:
            errors[path] = f"at most {self.max_keys} keys"
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
                errors[f"{prefix}{key}"] = "unknown field"
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

    def parse_json(self, text: str | None) -> dict[str, Any]:
        try:
            value = json.loads(text) if text else None
        except ValueError as exc:
            raise InvalidInput("the body is not valid JSON", details={"body": "not valid JSON"}) from exc
        return self.parse(value)

    def parse(self, value: Any) -> dict[str, Any]:
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
                errors[key] = "unknown parameter"
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
