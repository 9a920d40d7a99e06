"""Request validation the way Stack's routes do it with yup: same coercions, same messages, same order.

Each route declares its body, query and params as :class:`Field` trees mirroring the yup schema in Stack's
source (``Str().uuid()``, ``Bool()``, ``Obj({...})``) and calls :func:`validate`, which collects every problem
(yup's ``abortEarly: false``) and answers one ``SCHEMA_ERROR`` listing them, like ``smart-request.tsx``.
Objects refuse unknown properties, as Stack's ``yupObject`` does under the ``body``/``query``/``params``
prefixes. Only what the emulator's routes use is modelled.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flask import g, request

from . import errors as E

_MISSING: Any = object()

# yup 1.x's own patterns (``string.email()``, ``string.uuid()``), so the same inputs pass and fail.
_EMAIL = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
_UUID = re.compile(
    r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    r"|00000000-0000-0000-0000-000000000000)$",
    re.IGNORECASE,
)
# What JavaScript's unary ``+`` turns into a number (after yup strips whitespace).
_JS_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Infinity)$")
_JS_RADIX = re.compile(r"^0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)$")


def _simple(value: Any) -> str | None:
    """yup's ``printSimpleValue`` with strings quoted; ``None`` for objects and arrays."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float):
            if math.isnan(value):
                return "NaN"
            if math.isinf(value):
                return "Infinity" if value > 0 else "-Infinity"
            if value.is_integer():
                return str(int(value))
        return str(value)
    if isinstance(value, str):
        return f'"{value}"'
    return None


def print_value(value: Any) -> str:
    """yup's ``printValue(value, true)``: primitives inline, objects as 2-space JSON of printed leaves."""
    simple = _simple(value)
    if simple is not None:
        return simple

    def leaves(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: leaves(x) for k, x in v.items()}
        if isinstance(v, list):
            return [leaves(x) for x in v]
        return _simple(v)

    return json.dumps(leaves(value), indent=2, ensure_ascii=False)


def _type_error(path: str, kind: str, value: Any, original: Any = _MISSING) -> str:
    cast = "" if original is _MISSING else f" (cast from the value `{print_value(original)}`)"
    return f"{path} must be a `{kind}` type, but the final value was: `{print_value(value)}`{cast}."


@dataclass(frozen=True)
class Field:
    """One yup schema node. Build with :class:`Str`, :class:`Bool`, :class:`Num`, :class:`Json`, :class:`Obj`."""

    kind: str
    required: bool = False
    nullable: bool = False
    #: String tests in declaration order, as ``(name, argument)``.
    tests: tuple[tuple[str, Any], ...] = ()
    fields: Mapping[str, Field] = field(default_factory=dict)
    items: Field | None = None
    #: How many unknown-properties tests an object carries: each ``yupObject`` merged in by ``concat`` brings
    #: its own, so the same problem is listed once per object (0: ``.unknown()``/``noUnknown(false)``).
    unknown_checks: int = 1

    def defined(self) -> Field:
        """``.defined()``: absence is a problem."""
        return replace(self, required=True)

    def null(self) -> Field:
        """``.nullable()``."""
        return replace(self, nullable=True)

    def _test(self, name: str, arg: Any = None) -> Field:
        return replace(self, tests=(*self.tests, (name, arg)))

    def uuid(self) -> Field:
        """``.uuid()``."""
        return self._test("uuid")

    def me(self) -> Field:
        """Stack's ``userIdOrMeSchema``: a UUID or ``me`` (the signed-in user's id)."""
        return self._test("me")

    def email(self) -> Field:
        """``.email()`` (empty strings pass, as in yup)."""
        return self._test("email")

    def max(self, n: float) -> Field:
        """``.max(n)``: characters for strings, value for numbers."""
        return self._test("max", n)

    def min(self, n: float) -> Field:
        """``.min(n)``."""
        return self._test("min", n)

    def length(self, n: int) -> Field:
        """``.length(n)``."""
        return self._test("length", n)

    def one_of(self, *values: Any) -> Field:
        """``.oneOf([...])``."""
        return self._test("one_of", values)

    def non_empty(self) -> Field:
        """Stack's ``.nonEmpty()``."""
        return self._test("non_empty")

    def base64(self) -> Field:
        """Stack's ``base64Schema`` test."""
        return self._test("base64")

    def url(self) -> Field:
        """Stack's ``urlSchema`` tests (no spaces, parsable absolute URL)."""
        return self._test("url")

    def integer(self) -> Field:
        """``.integer()``."""
        return self._test("integer")

    def country(self) -> Field:
        """Stack's ``countryCodeSchema`` test (two letters once trimmed)."""
        return self._test("country")

    def test(self, check: Any) -> Field:
        """An object-level test: ``check(raw_object)`` returns a problem or ``None`` (after unknown keys)."""
        return self._test("object", check)

    def matches(self, pattern: str, message: str | None = None) -> Field:
        """``.matches(regex[, message])``; yup's default message names ``pattern`` as JavaScript prints it."""
        return self._test("matches", (pattern, message))

    def check(self, test: Any) -> Field:
        """A custom string test: ``test(value)`` returns the problem (``{path}`` is filled in) or ``None``."""
        return self._test("custom", test)

    def unknown(self) -> Field:
        """``.unknown()`` / ``noUnknown(false)``: an object that lets unknown properties through."""
        return replace(self, unknown_checks=0)

    def concat(self, other: Field) -> Field:
        """``a.concat(b)`` of two objects: ``b``'s fields and flags win, both objects' tests are kept."""
        return replace(
            other,
            fields={**self.fields, **other.fields},
            tests=(*self.tests, *other.tests),
            unknown_checks=self.unknown_checks + other.unknown_checks,
        )


def Str() -> Field:
    """``yupString()``."""
    return Field("string")


def Bool() -> Field:
    """``yupBoolean()``."""
    return Field("boolean")


def Num() -> Field:
    """``yupNumber()``."""
    return Field("number")


def Json() -> Field:
    """Stack's ``jsonSchema`` (any JSON value, null allowed)."""
    return Field("json", nullable=True)


def Obj(fields: Mapping[str, Field]) -> Field:
    """``yupObject({...})``, refusing unknown properties."""
    return Field("object", fields=dict(fields))


def Arr(items: Field) -> Field:
    """``yupArray(items)``."""
    return Field("array", items=items)


def _is_base64(value: str) -> bool:
    if len(value) % 4 != 0 or not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", value):
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _is_url(value: str) -> bool:
    # Stack's isValidUrl is ``new URL(value)`` succeeding: a scheme and something after it.
    return re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S", value) is not None


def _key_order(keys: list[str], problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """yup's ``sortByKeyOrder``: by the first key *contained* in the problem's path (a substring test, so
    ``code_challenge_method`` sorts with ``code_challenge``), ties kept in arrival order (stable sort)."""

    def index(item: tuple[str, str]) -> int:
        return next((i for i, key in enumerate(keys) if key in item[0]), len(keys))

    return sorted(problems, key=index)


class _Run:
    def __init__(self, current_user_id: str | None) -> None:
        self.current_user_id = current_user_id
        #: ``(path, message)``; the path decides the order, as in yup.
        self.problems: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def check(self, path: str, value: Any, spec: Field) -> Any:
        """Cast and test ``value`` against ``spec``; append problems; return the cast value."""
        if value is _MISSING:
            if spec.required:
                self.add(path, f"{path} must be defined")
            return _MISSING
        if value is None:
            if not spec.nullable:
                self.add(path, f"{path} cannot be null")
            return None
        if spec.kind == "json":
            return value
        if spec.kind == "string":
            return self._string(path, value, spec)
        if spec.kind == "boolean":
            return self._boolean(path, value, spec)
        if spec.kind == "number":
            return self._number(path, value, spec)
        if spec.kind == "array":
            if not isinstance(value, list):
                self.add(path, _type_error(path, "array", value))
                return _MISSING
            assert spec.items is not None
            return [self.check(f"{path}[{i}]", item, spec.items) for i, item in enumerate(value)]
        return self.object(path, value, spec)

    def object(self, path: str, value: Any, spec: Field) -> Any:
        if not isinstance(value, dict):
            self.add(path, _type_error(path, "object", value))
            return _MISSING
        out: dict[str, Any] = {}
        start = len(self.problems)
        # yup visits the fields in reverse declaration order (its toposort of the shape, reversed), then
        # sorts their problems by key order: the visit order only shows where two keys' names overlap.
        for name, sub in reversed(list(spec.fields.items())):
            got = self.check(f"{path}.{name}", value.get(name, _MISSING), sub)
            if got is not _MISSING:
                out[name] = got
        self.problems[start:] = _key_order(list(spec.fields), self.problems[start:])
        out = {name: out[name] for name in spec.fields if name in out}
        # yup reports the object's own tests (unknown keys) after its fields' problems.
        unknown = [k for k in value if k not in spec.fields]
        if unknown:
            for _ in range(spec.unknown_checks):
                self.add(path, f"{path} contains unknown properties: {', '.join(unknown)}")
        for name, check in spec.tests:
            problem = check(value) if name == "object" else None
            if problem:
                self.add(path, problem)
        return out

    def _string(self, path: str, value: Any, spec: Field) -> Any:
        if isinstance(value, (bool, int, float)):
            value = _simple(value)  # yup casts primitives with toString()
        if not isinstance(value, str):
            self.add(path, _type_error(path, "string", value))
            return _MISSING
        if any(name == "me" for name, _ in spec.tests) and value == "me":
            if self.current_user_id is None:
                raise E.cannot_get_own_user_without_user()
            return self.current_user_id
        for name, arg in spec.tests:
            problem = self._string_test(path, value, name, arg)
            if problem:
                self.add(path, problem)
        return value

    @staticmethod
    def _string_test(path: str, value: str, name: str, arg: Any) -> str | None:
        if name in ("uuid", "me"):
            return None if _UUID.match(value) else f"{path} must be a valid UUID"
        if name == "email":
            return None if value == "" or _EMAIL.match(value) else f"{path} must be a valid email"
        if name == "max":
            return None if len(value) <= arg else f"{path} must be at most {arg} characters"
        if name == "min":
            return None if len(value) >= arg else f"{path} must be at least {arg} characters"
        if name == "length":
            return None if len(value) == arg else f"{path} must be exactly {arg} characters"
        if name == "one_of":
            return None if value in arg else f"{path} must be one of the following values: {', '.join(arg)}"
        if name == "non_empty":
            return None if value != "" else f"{path} must not be empty"
        if name == "base64":
            return None if _is_base64(value) else f"{path} is not valid base64"
        if name == "url":
            if " " in value:
                return f"{path} contains spaces"
            return None if _is_url(value) else f"{path} is not a valid URL"
        if name == "country":
            return None if re.fullmatch(r"[A-Za-z]{2}", value.strip()) else f"{path} must be a 2-letter country code"
        if name == "matches":
            pattern, message = arg
            if re.search(pattern.strip("/"), value):
                return None
            return message if message is not None else f'{path} must match the following: "{pattern}"'
        if name == "custom":
            problem = arg(value)
            return None if problem is None else str(problem).replace("{path}", path)
        raise AssertionError(f"unknown string test {name}")

    def _boolean(self, path: str, value: Any, spec: Field) -> Any:
        if not isinstance(value, bool):
            text = _simple(value) if isinstance(value, (int, float)) else value
            if isinstance(text, str) and text.lower() in ("true", "1"):
                value = True
            elif isinstance(text, str) and text.lower() in ("false", "0"):
                value = False
            else:
                self.add(path, _type_error(path, "boolean", value))
                return _MISSING
        for name, arg in spec.tests:
            if name == "one_of" and value not in arg:
                shown = ", ".join("true" if v else "false" for v in arg)
                self.add(path, f"{path} must be one of the following values: {shown}")
        return value

    def _number(self, path: str, value: Any, spec: Field) -> Any:
        original = value
        num: float
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            num = math.nan
        elif isinstance(value, str):
            text = re.sub(r"\s", "", value)
            if _JS_RADIX.match(text):
                num = float(int(text, 0))
            elif _JS_NUMBER.match(text):
                num = float(text.replace("Infinity", "inf"))
            else:
                num = math.nan
        else:
            num = float(value)
        if math.isnan(num):
            self.add(path, _type_error(path, "number", num, original))
            return _MISSING
        for name, arg in spec.tests:
            if name == "integer" and not num.is_integer():
                self.add(path, f"{path} must be an integer")
            elif name == "min" and num < arg:
                self.add(path, f"{path} must be greater than or equal to {arg}")
            elif name == "max" and num > arg:
                self.add(path, f"{path} must be less than or equal to {arg}")
        return int(num) if num.is_integer() else num


@dataclass
class Validated:
    """The cast values of a valid request; absent optional fields are left out."""

    body: dict[str, Any]
    query: dict[str, Any]
    params: dict[str, Any]


#: The request keys of a crud handler's schema (route-handlers/crud-handler.tsx), in declaration order.
CRUD_REQUEST = ("auth", "url", "method", "body", "params", "query")


def validate(
    *,
    body: Field | None = None,
    query: Mapping[str, Field] | Field | None = None,
    params: Mapping[str, tuple[Field, str]] | None = None,
    current_user_id: str | None = None,
    request_keys: tuple[str, ...] = CRUD_REQUEST,
) -> Validated:
    """Validate the current request like Stack's smart request; raise one ``SCHEMA_ERROR`` listing every problem.

    :param body: the body's schema (usually an :func:`Obj`); ``None`` leaves the body unchecked, as a
        route without a body schema does.
    :param query: the query's fields, refusing unknown parameters (``{}`` allows none); or a whole :func:`Obj`
        (``Obj({...}).unknown()`` lets unknown parameters through).
    :param params: each path parameter's schema and raw value.
    :param current_user_id: what ``me`` stands for; ``None`` makes ``me`` ``CANNOT_GET_OWN_USER_WITHOUT_USER``.
    :param request_keys: the keys of the route's whole request schema in declaration order (``auth``, ``body``,
        ...): yup sorts the problems of the request object by them, as it does inside every object.
    """
    run = _Run(current_user_id)
    parts: dict[str, Any] = {}
    # The request object's fields are visited in reverse declaration order too (see _Run.object).
    for key in reversed(request_keys):
        if key == "body" and body is not None:
            raw = g.get("body")
            got = run.check("body", _MISSING if raw is None else raw, body)
            parts["body"] = got if isinstance(got, dict) else {}
        elif key == "params" and params is not None:
            start = len(run.problems)
            out_params: dict[str, Any] = {}
            for name, (spec, value) in reversed(list(params.items())):
                got = run.check(f"params.{name}", value, spec)
                if got is not _MISSING:
                    out_params[name] = got
            run.problems[start:] = _key_order(list(params), run.problems[start:])
            parts["params"] = out_params
        elif key == "query" and query is not None:
            spec = query if isinstance(query, Field) else Obj(query)
            got = run.object("query", dict(request.args.items()), spec)
            parts["query"] = got if isinstance(got, dict) else {}
    if run.problems:
        problems = _key_order(list(request_keys), run.problems)
        # Stack's deindent indents a multi-line problem (a printed object) under its bullet.
        raise E.schema_error(request.method, request.path, [m.replace("\n", "\n  ") for _, m in problems])
    return Validated(body=parts.get("body", {}), query=parts.get("query", {}), params=parts.get("params", {}))
