"""Declare each API operation once: it becomes a Klein route (with auth, body and query
validation and JSON encoding) and an entry of the OpenAPI document, so the routes
served and the routes documented cannot drift apart."""

from __future__ import annotations

import re
from typing import Any, Callable
from urllib.parse import parse_qs, unquote

import attrs
import fastjsonschema
from klein import Klein
from klein.resource import KleinResource
from twisted.internet.defer import CancelledError, Deferred, maybeDeferred
from twisted.logger import Logger
from werkzeug.exceptions import MethodNotAllowed, NotFound

from rpymostat.core.errors import Conflict
from rpymostat.core.errors import NotFound as StoreNotFound
from rpymostat.web.auth import WrongCredential
from rpymostat.web.http import MAX_BODY, ApiError, json_response, read_json

log = Logger()
SPEC_URI = "urn:rpymostat:openapi"


@attrs.frozen
class Param:
    name: str
    schema: dict
    required: bool = False
    description: str = ""


@attrs.frozen
class Operation:
    method: str
    path: str
    name: str
    summary: str
    role: str | None
    body: str | None
    response: str | None
    status: int
    query: tuple[Param, ...]
    max_body: int
    tag: str
    # An example of the success response's JSON, and its media types other than JSON (each
    # with its schema and example), for the document; ``json=False``: those only.
    example: Any = attrs.field(default=None, eq=False)
    media: dict = attrs.field(factory=dict, eq=False)
    json: bool = True
    # (status, description) pairs a route answers beyond those its role, body and query imply.
    errors: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class Call:
    """What a handler gets: the request, who made it, and its validated inputs."""

    request: Any
    principal: Any
    params: dict
    body: Any = None
    query: dict = attrs.field(factory=dict)


@attrs.frozen
class Reply:
    """A handler's answer when the status is not the operation's usual one."""

    status: int
    payload: Any


@attrs.frozen
class Raw:
    """A handler's answer that is not JSON (one of the operation's other media types)."""

    body: bytes
    content_type: str
    status: int = 200


class Routes:
    """One Klein app plus the operations declared on it.

    ``path_params`` maps each path parameter name to its JSON Schema; integer parameters
    become bounded Klein ``int`` converters, strings one-segment ``string`` converters: an
    id that holds a ``/`` (``phidget-523456/2``) travels percent-encoded (``%2F``) in one
    segment, and a bare ``/`` never lets one route answer for another's path.
    """

    def __init__(self, path_params: dict[str, dict]):
        self.app = Klein()
        self.app.url_map.merge_slashes = False
        self.operations: list[Operation] = []
        self.path_params = path_params
        self.app.handle_errors(Exception)(_error_response)

    @staticmethod
    def resource(app: Klein) -> KleinResource:
        """The resource serving ``app`` (an instance's bound app)."""
        return SegmentResource(app)

    def op(self, method: str, path: str, *, summary: str, tag: str, role: str | None = "admin",
           body: str | None = None, response: str | None = None, status: int = 200,
           query: tuple[Param, ...] = (), max_body: int = MAX_BODY, example: Any = None,
           media: dict | None = None, json: bool = True, errors: tuple[tuple[str, str], ...] = ()) -> Callable:
        def decorate(handler: Callable) -> Callable:
            operation = Operation(method=method, path=path, name=handler.__name__, summary=summary,
                                  role=role, body=body, response=response, status=status,
                                  query=tuple(query), max_body=max_body, tag=tag, example=example,
                                  media=dict(media or {}), json=json, errors=tuple(errors))

            def endpoint(instance, request, **params):
                return _serve(instance, operation, handler, request, params)

            endpoint.__name__ = handler.__name__
            self.app.route(self._klein_rule(path), methods=[method], endpoint=operation.name)(endpoint)
            self.operations.append(operation)
            return endpoint

        return decorate

    def _klein_rule(self, path: str) -> str:
        def convert(match: re.Match) -> str:
            name = match.group(1)
            schema = self.path_params[name]
            if schema.get("type") == "integer":
                return f"<int(max={schema['maximum']}):{name}>"
            return f"<string:{name}>"

        return re.sub(r"\{(\w+)\}", convert, path)

    def openapi(self, *, title: str, version: str, description: str, schemas: dict,
                security_description: str, formats: dict | None = None) -> dict:
        """The OpenAPI document; ``formats`` (name to an object with a ``description``) are
        the document's own formats, listed in its description and under ``x-formats``."""
        paths: dict[str, dict] = {}
        for op in self.operations:
            entry = {
                "operationId": op.name,
                "summary": op.summary,
                "tags": [op.tag],
                "responses": _responses(op),
            }
            parameters = [
                {"name": name, "in": "path", "required": True, "schema": self.path_params[name]}
                for name in re.findall(r"\{(\w+)\}", op.path)
            ] + [
                {"name": p.name, "in": "query", "required": p.required, "schema": p.schema,
                 **({"description": p.description} if p.description else {})}
                for p in op.query
            ]
            if parameters:
                entry["parameters"] = parameters
            if op.body:
                entry["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{op.body}"}}},
                    "description": f"At most {op.max_body} bytes.",
                }
            entry["security"] = [] if op.role is None else [{"bearer": []}]
            if op.role:
                also = " (or admin)." if op.role in ("device", "metrics") else "."
                entry["description"] = f"Role: {op.role}" + also
            paths.setdefault(op.path, {})[op.method.lower()] = entry
        formats = {name: form.description for name, form in (formats or {}).items()}
        if formats:
            description += "\n\nFormats of this API (`format` in its schemas):\n\n" + "\n".join(
                f"- `{name}`: {text}" for name, text in formats.items())
        document = {
            "openapi": "3.1.0",
            "info": {"title": title, "version": version, "description": description,
                     "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"}},
            "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                               "description": security_description}},
            },
        }
        if formats:
            document["x-formats"] = formats
        return document


def _responses(op: Operation) -> dict:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    responses: dict[str, dict] = {}
    if op.status == 204:
        responses["204"] = {"description": "Done; no body."}
    else:
        content = {"schema": {"$ref": f"#/components/schemas/{op.response}"}} if op.response else {"schema": {}}
        if op.example is not None:
            content["example"] = op.example
        responses[str(op.status)] = {"description": "Success.",
                                     "content": {**({"application/json": content} if op.json else {}),
                                                 **op.media}}
    codes = {"400": "The Host header is not a host name.", "403": "The Origin may not use this API.",
             "404": "No such resource.", "405": "Method not allowed.",
             "421": "The Host is not one of this API's names."}
    if op.role is not None:
        codes["401"] = "No or unknown token."
        codes["403"] = "The token's role may not do this, or the Origin may not use this API."
        codes["429"] = "Too many failed authentications from this address; see Retry-After."
    if op.body or op.method == "DELETE":
        codes["409"] = "Conflicts with the current state (e.g. names what does not exist)."
    if op.body:
        codes.update({"400": "Malformed JSON, or a Host header that is not a host name.",
                      "413": "Body too large.", "422": "Invalid values."})
    if op.query:
        codes["422"] = "Invalid values."
    codes.update(op.errors)
    for code, text in sorted(codes.items()):
        responses[code] = {"description": text, **error}
    return responses


class SegmentResource(KleinResource):
    """A Klein resource that keeps path segments apart.

    twisted.web splits the path at each ``/`` and then percent-decodes every segment; Klein
    joins them again with ``/`` before routing, so ``a%2Fb`` would become two segments. Here
    a segment's own ``/`` (and ``%``) is encoded again for the router, and ``_handle``
    decodes the parameter it matched.
    """

    def render(self, request):
        request.postpath = [segment.replace(b"%", b"%25").replace(b"/", b"%2F")
                            for segment in request.postpath]
        return super().render(request)


class Validators:
    """Validators for the document's component schemas and its formats.

    ``jsonschema`` (Draft 2020-12, as OpenAPI 3.1 says) is the authority and words every
    error. It costs ~130 µs for a one-reading batch and ~4 ms for a hundred, so a body is
    first checked by the same schema compiled to Python by ``fastjsonschema``, with its
    ``$ref``s inlined: a body that passes is accepted at once; anything else goes to
    jsonschema, whose verdict stands. The fast path must never accept what jsonschema
    refuses (a property test holds it to that), and it must not fill in defaults: a
    validator never changes a body.

    ``formats`` maps a format name to an object with ``kind`` (the JSON type it checks)
    and ``check`` (raises ValueError saying why a value is not of the format). Both paths
    check string formats; fastjsonschema checks formats on strings only, so a schema that
    uses a format on objects or arrays always goes to jsonschema.
    """

    def __init__(self, document: dict, formats: dict | None = None):
        self._document = document
        self._components = document.get("components", {}).get("schemas", {})
        self._formats = formats or {}
        self._registry = None
        self._checker = None
        self._cache: dict = {}
        self._fast: dict[str, Callable[[Any], Any] | None] = {}

    def _authority(self, schema: dict):
        """A jsonschema validator. Imported on first need: a node that only ever gets good
        requests never loads jsonschema (about 9 MB)."""
        from jsonschema import Draft202012Validator, FormatChecker

        if self._registry is None:
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT202012

            resource = Resource.from_contents(self._document, default_specification=DRAFT202012)
            self._registry = Registry().with_resource(SPEC_URI, resource)
            self._checker = FormatChecker(formats=())
            for name, form in self._formats.items():
                self._checker.checks(name, raises=ValueError)(_raising(form))
        return Draft202012Validator(schema, registry=self._registry, format_checker=self._checker)

    def _compile_fast(self, name: str):
        schema = _inline(self._components[name], self._components)
        string_formats = {n: _passing(f) for n, f in self._formats.items() if f.kind is str}
        if _formats_used(schema) - set(string_formats) - set(_ANY_FORMAT):
            return None
        return fastjsonschema.compile(schema, formats={**_ANY_FORMAT, **string_formats},
                                      use_default=False)

    def _accepts_fast(self, name: str, value: Any) -> bool:
        if name not in self._fast:
            self._fast[name] = self._compile_fast(name)
        fast = self._fast[name]
        if fast is None:
            return False
        try:
            fast(value)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    def for_schema(self, name: str):
        if name not in self._cache:
            self._cache[name] = self._authority({"$ref": f"{SPEC_URI}#/components/schemas/{name}"})
        return self._cache[name]

    def for_inline(self, schema: dict):
        return self._authority(schema)

    def check(self, name_or_schema, value: Any, where: str = "body") -> None:
        if isinstance(name_or_schema, str) and self._accepts_fast(name_or_schema, value):
            return
        validator = (self.for_schema(name_or_schema) if isinstance(name_or_schema, str)
                     else self.for_inline(name_or_schema))
        found = sorted(_problems(validator.iter_errors(value)))
        if found:
            details = [{"path": "/" + "/".join(str(p) for p in path), "message": _short(message)}
                       for path, message in found[:20]]
            first = details[0]
            raise ApiError(422, "invalid", f"{where} is invalid at {first['path']}: {first['message']}",
                           details)


_ANY_FORMAT = {"date-time": lambda text: True}


def _raising(form) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if isinstance(value, form.kind):
            form.check(value)
        return True

    return check


def _passing(form) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        try:
            form.check(value)
        except ValueError:
            return False
        return True

    return check


def _formats_used(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {schema["format"]} if isinstance(schema.get("format"), str) else set()
        return found.union(*(_formats_used(value) for value in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_formats_used(item) for item in schema))
    return set()


def _inline(schema: Any, components: dict) -> Any:
    """The schema with every local $ref replaced by its target (the API's schemas are not
    recursive) and OpenAPI-only annotations removed."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(components[schema["$ref"].rsplit("/", 1)[1]], components)
        return {key: _inline(value, components) for key, value in schema.items()
                if key != "discriminator"}
    if isinstance(schema, list):
        return [_inline(item, components) for item in schema]
    return schema


def _problems(errors) -> list[tuple[list, str]]:
    """(path, message) for each error. A ``oneOf`` with an OpenAPI discriminator reports
    the errors of the branch the instance names, not "not valid under any of the given
    schemas", which would not tell the client what to fix."""
    found = []
    for error in errors:
        schema = error.schema if isinstance(error.schema, dict) else {}
        discriminator = schema.get("discriminator") if error.validator == "oneOf" else None
        if discriminator is None or not isinstance(error.instance, dict):
            found.append((list(error.absolute_path), _message(error)))
            continue
        prop, mapping = discriminator["propertyName"], discriminator["mapping"]
        chosen = mapping.get(error.instance.get(prop)) if isinstance(error.instance.get(prop), str) else None
        if chosen is None:
            found.append((list(error.absolute_path) + [prop], f"must be one of {', '.join(mapping)}"))
            continue
        branch = [b.get("$ref") for b in schema["oneOf"]].index(chosen)
        found.extend(_problems(e for e in error.context if e.relative_schema_path[0] == branch))
    return found


def _message(error) -> str:
    """A format's own reason ("not an ISO 8601 time: ..."), else jsonschema's words."""
    if error.validator == "format" and error.cause is not None:
        return str(error.cause)
    return error.message


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


_NUMERALS = {"integer": (re.compile(r"-?[0-9]+"), int),
             "number": (re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?"), float)}


def _query_value(param: Param, raw: str, schema: dict | None = None) -> Any:
    """A query value as its schema's type. Numbers are decimal numerals only (no ``_``,
    spaces, other scripts' digits, ``nan`` or ``inf``, which Python would take)."""
    kind = (schema or param.schema).get("type")
    if kind not in _NUMERALS:
        return raw
    pattern, convert = _NUMERALS[kind]
    if not pattern.fullmatch(raw):
        raise ApiError(422, "invalid", f"query parameter {param.name} must be a {kind}")
    return convert(raw)


def _query_args(request) -> dict[str, list[str]]:
    """The query's parameters with a ``+`` kept as a plus: no parameter of this API holds a
    space, and a time's ``+01:00`` often arrives unencoded."""
    query = request.uri.partition(b"?")[2].decode("latin-1").replace("+", "%2B")
    return parse_qs(query, keep_blank_values=True, errors="replace")


def _serve(instance, op: Operation, handler: Callable, request, params: dict):
    """Pass the gate, authorize, validate, call the handler, encode its answer. Plain
    callbacks rather than a generator: this runs for every request, and the common path
    never waits. An API that keeps request metrics (``observe_request``) sees every
    request first, refused ones included."""
    observe = getattr(instance, "observe_request", None)
    if observe is not None:
        observe(op, request)
    instance.gate.admit(request, credentials=op.role is not None)
    try:
        principal = instance.authorize(request, op.role)
    except WrongCredential:
        instance.gate.failed(request)
        raise
    if isinstance(principal, Deferred):
        principal.addCallbacks(_waited, _waited_in_vain, (instance.gate, request), None, (instance.gate, request))
        return principal.addCallback(_handle, instance, op, handler, request, params)
    return maybeDeferred(_handle, principal, instance, op, handler, request, params)


def _waited(principal, gate, request):
    gate.not_throttled(request)
    return principal


def _waited_in_vain(failure, gate, request):
    if failure.check(WrongCredential):
        gate.not_throttled(request)
        gate.failed(request)
    return failure


def _handle(principal, instance, op: Operation, handler: Callable, request, params: dict):
    for name, value in list(params.items()):
        schema = instance.routes.path_params[name]
        if schema.get("type") == "integer":
            continue
        value = params[name] = unquote(value)
        if not re.fullmatch(schema["pattern"].strip("^$"), value):
            raise ApiError(404, "not_found", f"no such {name.removesuffix('_id')}: {value[:128]!r}")
    body = None
    if op.body:
        body = read_json(request, op.max_body)
        instance.validators.check(op.body, body)
    query = {}
    args = _query_args(request) if op.query else {}
    for param in op.query:
        values = args.get(param.name)
        if not values:
            if param.required:
                raise ApiError(422, "invalid", f"query parameter {param.name} is required")
            continue
        if param.schema.get("type") == "array":  # repeated: ?series=a&series=b
            value = [_query_value(param, item, param.schema.get("items", {})) for item in values]
        else:
            value = _query_value(param, values[-1])
        instance.validators.check(param.schema, value, f"query parameter {param.name}")
        query[param.name] = value
    result = handler(instance, Call(request=request, principal=principal, params=params, body=body,
                                    query=query))
    if isinstance(result, Deferred):
        return result.addCallback(_respond, request, op)
    return _respond(result, request, op)


def _respond(result, request, op: Operation) -> bytes:
    if isinstance(result, Raw):
        request.setResponseCode(result.status)
        request.setHeader(b"content-type", result.content_type.encode("ascii"))
        request.setHeader(b"cache-control", b"no-store")
        return result.body
    if isinstance(result, Reply):
        return json_response(request, result.payload, result.status)
    return json_response(request, result, op.status)


def _error_response(instance, request, failure):
    error = failure.value
    if isinstance(error, CancelledError):
        return None
    if isinstance(error, ApiError):
        api_error = error
    elif isinstance(error, MethodNotAllowed):
        try:
            if request.method == b"OPTIONS" and instance.gate.preflight(request, error.valid_methods or ()):
                return json_response(request, None, 204)
            api_error = ApiError(405, "method_not_allowed", f"{request.method.decode()} is not allowed here")
        except ApiError as refused:
            api_error = refused
        request.setHeader(b"allow", ", ".join(sorted(error.valid_methods or ())).encode())
    elif isinstance(error, NotFound):
        api_error = ApiError(404, "not_found", "no such route")
    elif isinstance(error, StoreNotFound):
        api_error = ApiError(404, "not_found", str(error))
    elif isinstance(error, Conflict):
        api_error = ApiError(409, "conflict", str(error))
    else:
        log.failure("unexpected error answering {method} {path}", failure,
                    method=request.method.decode(), path=request.path.decode("utf-8", "replace"))
        api_error = ApiError(500, "internal", "the hub failed to answer; the failure is in its log")
    return json_response(request, api_error.envelope(), api_error.status)
