"""Help-desk sign-ups: the helpers that read and write are in ``people.py``."""

import logging

from lime_application import LimeApplication
from lime_task import task

from ..people import find_person_by_email, save_ticket

logger = logging.getLogger(__name__)


@task
def count_known_senders(app: LimeApplication, emails: list[str]) -> int:
    """Count the sign-up emails that belong to a person in Lime.

    Args:
        app: The Lime application.
        emails: Sender addresses of the sign-ups.

    Returns:
        How many of them a person in Lime has.
    """
    logger.info("Checking %s sign-ups", len(emails))
    known = 0
    for email in emails:
        if find_person_by_email(app, email) is not None:
            known += 1
    return known


@task
def open_tickets(app: LimeApplication, codes: list[str]) -> str:
    """Open one ticket in Lime per help-desk code.

    Args:
        app: The Lime application.
        codes: Help-desk ticket codes.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Opening %s tickets", len(codes))
    for code in codes:
        save_ticket(app, code)
    return f"{len(codes)} tickets opened"
