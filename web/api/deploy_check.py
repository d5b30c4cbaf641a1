"""The deploy check pipelines call before they touch anything."""

from __future__ import annotations

from flask import Blueprint

from rollout.customers import get_customer
from rollout.deploy_check import check_deploy
from web.api import responses as r
from web.api.queries import DeployCheckQuery
from web.auth import principal
from web.database import db, now

blueprint = Blueprint("deploy_check_api", __name__, url_prefix="/api/v1")


def deploy_check(args: DeployCheckQuery):
    """May a pipeline deploy to this region or customer at `at` (default now)?"""
    who = principal()
    customer = args.customer
    if customer is not None:
        who.check_customer(get_customer(db(), customer))
    elif not who.is_staff:
        customer = who.customer.slug
    verdict = check_deploy(db(), at=args.at or now(), region=args.region, customer=customer)
    return (r.DeployCheck if who.is_staff else r.PublicDeployCheck).of(verdict)
