"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

_ERROR = {
    "type": "object",
    "properties": {
        "error": {"type": "integer"},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["error", "message"],
}
_VENUE = {
    "type": "object",
    "properties": {
        "token": {"type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{10}$"},
        "name": {"type": "string"},
        "organisation": {"type": "string"},
        "organisation_id": {"type": "integer"},
        "address": {"type": "string"},
        "ward_code": {"type": ["integer", "null"]},
        "ward": {"type": ["string", "null"]},
        "category": {"type": "string"},
        "stay_minutes": {"type": "integer"},
        "active": {"type": "boolean"},
        "checkin_url": {"type": "string", "format": "uri"},
    },
}


def _err(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        },
    }


def document(base_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "signage API",
            "version": "1",
            "description": (
                "Venues and check-ins of the province's QR campaign. Keys are issued "
                "by the province admin (Quản trị → Ứng dụng API) and sent as "
                "`Authorization: Bearer sgn_…`."
            ),
        },
        "servers": [{"url": f"{base_url}/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": _ERROR, "Venue": _VENUE},
        },
        "paths": {
            "/venues/{token}": {
                "get": {
                    "summary": "One venue by the token printed on its board (any case)",
                    "parameters": [
                        {
                            "name": "token",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The venue",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Venue"}
                                }
                            },
                        },
                        "401": _err("Missing or wrong key"),
                        "403": _err("The key lacks venues:read"),
                        "404": _err("Unknown token"),
                        "410": _err("The board was replaced (token rotated)"),
                    },
                }
            },
            "/venues": {
                "get": {
                    "summary": "Venues in pages of up to 500, by id",
                    "parameters": [
                        {"name": "after", "in": "query", "schema": {"type": "integer"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "A page; `next` links the following one",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "items": {
                                                "type": "array",
                                                "items": {
                                                    "$ref": "#/components/schemas/Venue"
                                                },
                                            },
                                            "next": {"type": "string"},
                                        },
                                    }
                                }
                            },
                        },
                        "400": _err("Bad paging parameters"),
                        "401": _err("Missing or wrong key"),
                    },
                }
            },
            "/checkins": {
                "post": {
                    "summary": "Record a check-in at server time "
                    "(idempotent by client_ref)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": [
                                        "venue_token",
                                        "name",
                                        "phone",
                                        "client_ref",
                                    ],
                                    "properties": {
                                        "venue_token": {"type": "string"},
                                        "name": {"type": "string", "maxLength": 100},
                                        "phone": {
                                            "type": "string",
                                            "description": "Vietnamese number, "
                                            "any writing",
                                        },
                                        "client_ref": {
                                            "type": "string",
                                            "maxLength": 40,
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {"description": "Recorded"},
                        "200": {
                            "description": "Already recorded (same client_ref, or "
                            "the same phone at the venue within 10 minutes)"
                        },
                        "401": _err("Missing or wrong key"),
                        "403": _err("The key lacks checkins:write"),
                        "404": _err("Unknown venue"),
                        "409": _err("Venue inactive, or client_ref used elsewhere"),
                        "422": _err("Invalid name, phone or fields"),
                        "429": _err("Rate limit"),
                    },
                }
            },
        },
    }
