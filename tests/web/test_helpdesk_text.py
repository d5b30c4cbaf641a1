"""The help desk's webhook takes the ticket as the API does: control characters refused
there too, before anything is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rollout.errors import Invalid
from rollout.support import Ticket
from rollout.support.tickets import check_sla_level
from tests.web.test_api_tickets import app, deliver, ticket_body, world  # noqa: F401  (fixtures)


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "Exports\x01 time out"),
        ("subject", "Exports\ntime out"),
        ("requester_name", "Dana\x00 Scully"),
        ("external_id", "ZD-\x1b100"),
    ],
)
def test_a_help_desk_ticket_with_a_control_character_is_refused(client, session, field, value):
    response = deliver(client, ticket_body(**{field: value}))
    assert response.status_code == 422
    assert response.json["error"]["field"] == field
    assert session.scalar(select(func.count(Ticket.id))) == 0


def test_an_sla_level_out_of_range_is_explained_in_the_users_words():
    with pytest.raises(Invalid) as refused:
        check_sla_level(9)
    assert refused.value.message == "sla_level is 1 (urgent) to 4 (low impact)"
