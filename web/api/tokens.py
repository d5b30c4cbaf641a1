"""API tokens, for admins: listed without their secrets, created (the secret shown once),
revoked."""

from __future__ import annotations

from flask import Blueprint

from rollout import access
from web.api import responses as r
from web.api.inputs import int_id
from web.api.queries import TokenQuery
from web.api.schemas import TokenIn
from web.database import db, now

blueprint = Blueprint("tokens_api", __name__, url_prefix="/api/v1")


def list_tokens(args: TokenQuery):
    at = now()
    return [r.Token.of(t, now=at) for t in access.list_tokens(db(), everything=args.all, now=at)]


def create_token(data: TokenIn):
    at = now()
    token, plaintext = access.create_token(db(), **data.model_dump(), now=at)
    db().commit()
    return r.Token.of(token, now=at, plaintext=plaintext)


def revoke_token(token_id: str):
    at = now()
    token = access.revoke_token(db(), int_id(token_id, "token"), now=at)
    db().commit()
    return r.Token.of(token, now=at)
