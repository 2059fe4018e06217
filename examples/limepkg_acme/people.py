"""Persons and tickets in Lime: helpers the tasks of several modules share."""

import logging

from lime_application import LimeApplication
from lime_filter import EqualsOperator, Filter

logger = logging.getLogger(__name__)


def find_person_by_email(app: LimeApplication, email: str):
    """The first person in Lime with this email address, or None.

    Args:
        app: The Lime application.
        email: The email address to look for.

    Returns:
        The person with the lowest id among those with that address, or None.
    """
    for person in app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email))):
        return person
    return None


def save_ticket(app: LimeApplication, code: str) -> None:
    """Store one open ticket in Lime.

    Args:
        app: The Lime application.
        code: The help-desk ticket code.
    """
    uow = app.unit_of_work()
    uow.add(app.limetypes.ticket(code=code, status="open"))
    uow.commit()
