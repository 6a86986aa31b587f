"""The OpenAPI document of the REST API, complete enough for a contract tester.

quart-schema lists the routes and the request bodies of their pydantic models;
this provider completes its document from the tables beside it: what each
operation answers (``openapi_operations``), its parameters and the limits of
its body fields (``openapi_requests``), the shapes of the answers
(``openapi_schemas``), and who may call it (the security schemes).
Only ``/api/v10`` is described: ``/api`` is an alias of the same routes.
"""

from __future__ import annotations

import copy
from typing import Any

from quart_schema import OpenAPIProvider

from accord.http.openapi_operations import OPERATIONS, Operation
from accord.http.openapi_requests import (
    BODY_FIELDS,
    HEADERS,
    QUERIES,
    REQUIRED_FIELDS,
    path_parameter,
)
from accord.http.openapi_schemas import COMPONENTS, Schema, ref

API_PREFIX = "/api/v10/"
OPENAPI_PATH = "/api/v10/openapi.json"
# Bodies are optional on these: none means every field's default.
OPTIONAL_BODIES = frozenset({"ban", "create_invite"})

SECURITY_SCHEMES: dict[str, Schema] = {
    "BearerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "A user's access token, from /auth/register, /auth/login or /auth/refresh: "
            "`Authorization: Bearer <token>`."
        ),
    },
    "BotToken": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "A bot's token, from its application: `Authorization: Bot <token>`.",
    },
}
SIGNED_IN_SECURITY: list[dict[str, list[str]]] = [{"BearerToken": []}, {"BotToken": []}]

_HEADERS: dict[str, Schema] = {
    "RequestId": {
        "description": "This request's id, also in the error body and the server's log.",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
    },
    "RetryAfter": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "RateLimitScope": {
        "description": "global, or user for a route's own bucket.",
        "required": True,
        "schema": {"enum": ["global", "user"]},
    },
    **{
        f"RateLimit{name}": {
            "description": description,
            "required": True,
            "schema": {"type": "string", "minLength": 1},
        }
        for name, description in (
            ("Limit", "Requests the bucket allows per window."),
            ("Remaining", "Requests left in this window."),
            ("Reset", "Unix time, in seconds, at which the bucket refills."),
            ("ResetAfter", "Seconds until the bucket refills."),
            ("Bucket", "The bucket's name."),
        )
    },
}
_RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": "RateLimitLimit",
    "X-RateLimit-Remaining": "RateLimitRemaining",
    "X-RateLimit-Reset": "RateLimitReset",
    "X-RateLimit-Reset-After": "RateLimitResetAfter",
    "X-RateLimit-Bucket": "RateLimitBucket",
}


def _header_refs(names: dict[str, str]) -> dict[str, Schema]:
    return {header: {"$ref": f"#/components/headers/{name}"} for header, name in names.items()}


def _json(schema: Schema) -> dict[str, Schema]:
    return {"application/json": {"schema": schema}}


_ERROR_DESCRIPTIONS = {
    400: "The request is malformed or a field is invalid (the fields are named in errors).",
    401: "The Authorization header is missing, malformed, expired or revoked.",
    403: "The caller lacks a permission this needs.",
    404: "Nothing by that id (or code) that the caller can see.",
    413: "The body is larger than the server accepts.",
    415: "The body is not JSON.",
    503: "Not ready: the database does not answer.",
}

RESPONSES: dict[str, Schema] = {
    **{
        str(status): {
            "description": description,
            "headers": _header_refs({"X-Request-Id": "RequestId"}),
            "content": _json(ref("Readiness") if status == 503 else ref("Error")),
        }
        for status, description in _ERROR_DESCRIPTIONS.items()
    },
    "429": {
        "description": "Rate limited: wait retry_after seconds.",
        "headers": _header_refs(
            {
                "X-Request-Id": "RequestId",
                "Retry-After": "RetryAfter",
                "X-RateLimit-Scope": "RateLimitScope",
            }
        ),
        "content": _json(ref("RateLimited")),
    },
}


def _success(operation: Operation) -> Schema:
    headers = {"X-Request-Id": "RequestId"}
    if operation.rate_limited:
        headers.update(_RATE_LIMIT_HEADERS)
    response: Schema = {
        "description": operation.summary,
        "headers": _header_refs(headers),
    }
    if operation.body is not None:
        response["content"] = _json(operation.body)
    if operation.links:
        response["links"] = {name: link.document() for name, link in operation.links.items()}
    return response


def _allows_null(schema: Schema) -> bool:
    return schema.get("type") == "null" or any(
        branch.get("type") == "null" for branch in schema.get("anyOf", ())
    )


def _constrain(
    schema: Schema, fields: dict[str, Schema], required: frozenset[str], gaps: list[str]
) -> None:
    """Replace the typed fields of a body model's schema by their limited forms."""
    properties = schema.get("properties", {})
    for name, limited in fields.items():
        original = properties.get(name)
        if original is None:
            gaps.append(f"the body model {schema.get('title')} has no field {name}")
            continue
        replacement = copy.deepcopy(limited)
        if name in required:
            original = {k: v for k, v in original.items() if k != "default"}
            schema["required"] = sorted({*schema.get("required", ()), name})
        elif _allows_null(original) and not _allows_null(replacement):
            replacement = {"anyOf": [replacement, {"type": "null"}]}
        for kept in ("default", "title"):
            if kept in original:
                replacement[kept] = original[kept]
        properties[name] = replacement


def _constrain_bodies(document: Schema, gaps: list[str]) -> None:
    seen: set[str] = set()

    def visit(schema: Schema) -> None:
        title = schema.get("title")
        if isinstance(title, str) and title in BODY_FIELDS and title not in seen:
            seen.add(title)
            _constrain(schema, BODY_FIELDS[title], REQUIRED_FIELDS.get(title, frozenset()), gaps)

    for item in document["paths"].values():
        for operation in item.values():
            body = operation.get("requestBody")
            if body is not None:
                visit(body["content"]["application/json"]["schema"])
    for schema in document["components"]["schemas"].values():
        visit(schema)
    gaps.extend(f"no body model is named {name}" for name in sorted(set(BODY_FIELDS) - seen))


def _complete_operation(operation_id: str, operation: Schema, entry: Operation) -> None:
    operation["summary"] = entry.summary
    operation["security"] = SIGNED_IN_SECURITY if entry.signed_in else []
    operation["parameters"] = [
        {**parameter, "schema": path_parameter(parameter["name"])}
        for parameter in operation["parameters"]
        if parameter["in"] == "path"
    ]
    operation["parameters"] += copy.deepcopy(QUERIES.get(operation_id, []))
    operation["parameters"] += copy.deepcopy(HEADERS.get(operation_id, []))
    responses: Schema = {str(entry.status): _success(entry)}
    errors = set(entry.errors)
    body = operation.get("requestBody")
    if body is not None:
        body["required"] = operation_id not in OPTIONAL_BODIES
        errors |= {413, 415}
    for status in sorted(errors):
        responses[str(status)] = {"$ref": f"#/components/responses/{status}"}
    operation["responses"] = responses


# A route with a parameter that also serves a fixed value, documented apart as Discord
# documents it: operation id -> (the route's operation, the parameter, its value).
FIXED_VALUE_OPERATIONS = {"remove_own_reaction": ("remove_reaction", "user_id", "@me")}


def _add_fixed_value_operations(paths: dict[str, Any]) -> None:
    for operation_id, (source_id, name, value) in FIXED_VALUE_OPERATIONS.items():
        for path, item in list(paths.items()):
            for method, source in list(item.items()):
                if source["operationId"] != source_id:
                    continue
                fixed = copy.deepcopy(source)
                fixed["operationId"] = operation_id
                fixed["summary"] = OPERATIONS[operation_id].summary
                fixed["parameters"] = [p for p in fixed["parameters"] if p["name"] != name]
                paths.setdefault(path.replace("{" + name + "}", value), {})[method] = fixed


class AccordOpenAPIProvider(OpenAPIProvider):
    """quart-schema's document of ``/api/v10``, completed from the tables.

    What the tables miss (a new route without its entry, an entry without its
    route, a renamed body field) does not stop the document from being served:
    it is listed in ``gaps``, which the tests require to be empty.
    """

    _document: dict[str, Any] | None = None
    gaps: list[str]

    def generate_rules(self) -> Any:
        for rule in super().generate_rules():
            if rule.rule.startswith(API_PREFIX) and rule.rule != OPENAPI_PATH:
                yield rule

    def operation_id(self, method: str, path: str, func: Any) -> str:
        # Route functions have unique names, so they name operations (and link targets).
        return str(func.__name__)

    def schema(self) -> dict[str, Any]:
        # The routes are fixed once the app serves, so the document is built once.
        if self._document is None:
            self.gaps = []
            self._document = self._complete(super().schema())
        return self._document

    def _complete(self, document: dict[str, Any]) -> dict[str, Any]:
        document["paths"] = dict(document["paths"])
        seen: set[str] = set()
        for item in document["paths"].values():
            for operation in item.values():
                operation_id = operation["operationId"]
                if operation_id in seen:
                    self.gaps.append(f"two routes are named {operation_id}")
                seen.add(operation_id)
                entry = OPERATIONS.get(operation_id)
                if entry is None:
                    self.gaps.append(f"the route {operation_id} has no entry in OPERATIONS")
                    operation["responses"] = {"default": {"description": "Not described yet."}}
                else:
                    _complete_operation(operation_id, operation, entry)
        _add_fixed_value_operations(document["paths"])
        seen |= set(FIXED_VALUE_OPERATIONS)
        self.gaps.extend(
            f"OPERATIONS describes {name}, which no route serves"
            for name in sorted(set(OPERATIONS) - seen)
        )
        _constrain_bodies(document, self.gaps)
        components = document["components"]
        components["schemas"].update(copy.deepcopy(COMPONENTS))
        components["responses"] = copy.deepcopy(RESPONSES)
        components["headers"] = copy.deepcopy(_HEADERS)
        components["securitySchemes"] = SECURITY_SCHEMES
        document["security"] = SIGNED_IN_SECURITY
        document["info"] = {
            "title": "Accord REST API",
            "version": "10",
            "description": (
                "Discord's REST API v10 as Accord serves it. Ids are snowflakes written "
                "as decimal strings. Every path is also served under /api without the version."
            ),
        }
        return document
