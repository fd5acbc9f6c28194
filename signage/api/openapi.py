"""One source for the API's contract: the models in ``schemas.py``, wired by spectree.

Why spectree with pydantic v2: the ``@spec.validate(...)`` a view carries is both the
check made on every request (query, JSON body, and the response the view returns)
and the operation's entry in the OpenAPI 3.1 document, so the two cannot drift.
pydantic v2 writes JSON Schema 2020-12, which OpenAPI 3.1 uses as is. spectree sits
on a plain Flask blueprint (no app subclass, no app-wide error handler, unlike
flask-openapi3 or flask-smorest, which would turn every HTML error page of the site
into JSON), and is maintained with releases for current pydantic. Its own
documentation pages are not registered (they load scripts from a CDN that our
Content-Security-Policy and offline hosts refuse); the document is served by
``views.openapi`` at ``/api/v1/openapi.json``.

Every refusal, whether spectree's (a field against its schema) or a view's (a
DomainError), leaves as an ``ApiError`` with the one ``schemas.Error`` body.
"""

from __future__ import annotations

import copy
from typing import Any

from flask_babel import gettext as _
from pydantic import ValidationError
from spectree import Response, SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType

from .schemas import MESSAGES, Error

BEARER = "bearer"


class ApiError(Exception):
    """A 4xx answer with the shared error body; ``fields`` maps a request field to a
    message. ``message`` and the field messages are already translated."""

    def __init__(
        self,
        status: int,
        message: str,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or None
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return Error(
            error=self.status, message=self.message, fields=self.fields
        ).model_dump(exclude_none=True)


def _refuse(
    req: Any, resp: Any, error: Exception | None, instance: Any, adapter: Any
) -> None:
    """spectree's hook after validating a request: a refusal becomes an ApiError with
    a Vietnamese message per field (the status is the operation's validation status:
    400 for query parameters, 422 for a JSON body)."""
    if error is None:
        return
    fields: dict[str, str] = {}
    if isinstance(error, ValidationError):
        for item in error.errors(include_url=False):
            name = str(item["loc"][0]) if item["loc"] else ""
            if name in MESSAGES:
                fields.setdefault(name, _(MESSAGES[name]))
    message = _("Dữ liệu chưa đúng.") if fields else _("Cần một đối tượng JSON hợp lệ.")
    raise ApiError(resp.status_code, message, fields)


spec = SpecTree(
    "flask",
    mode="strict",  # only the operations that carry @spec.validate
    title="signage API",
    version="1",
    description=(
        "Venues and check-ins of the province's QR campaign. Keys are issued by the "
        "province admin (Tài khoản → Ứng dụng API) and sent as "
        "`Authorization: Bearer sgn_…`. Every 4xx answer has the `Error` body."
    ),
    security_schemes=[
        SecurityScheme(
            name=BEARER,
            data=SecuritySchemeData(
                type=SecureType.HTTP, scheme="bearer", description="An sgn_… key"
            ),
        )
    ],
    security={BEARER: []},
    validation_error_status=422,
    validation_error_model=Error,
    before=_refuse,
    # Plain model names in components (spectree adds a module hash by default).
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
)


def errors(**described: str) -> dict[str, tuple[type[Error], str]]:
    """Response entries for spectree: ``errors(HTTP_404="Unknown token")``."""
    return {code: (Error, text) for code, text in described.items()}


AUTH_ERRORS = errors(HTTP_401="Missing, wrong or revoked key")


def responses(**entries: Any) -> Response:
    return Response(**AUTH_ERRORS, **entries)


def document(base_url: str, prefix: str) -> dict[str, Any]:
    """The OpenAPI document: spectree's, with paths relative to the one server."""
    doc: dict[str, Any] = copy.deepcopy(spec.spec)
    doc["paths"] = {
        path.removeprefix(prefix): ops for path, ops in doc["paths"].items()
    }
    doc["servers"] = [{"url": f"{base_url}{prefix}"}]
    return doc
