"""Support tickets from the help desk: each one saved on its own."""

import logging

from lime_application import LimeApplication
from lime_task import task

logger = logging.getLogger(__name__)


@task
def import_tickets(app: LimeApplication, codes: list[str]) -> str:
    """Create one open ticket in Lime for each help-desk ticket code.

    Args:
        app: The Lime application.
        codes: Help-desk ticket codes.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Importing %s tickets", len(codes))
    for code in codes:
        uow = app.unit_of_work()
        uow.add(app.limetypes.ticket(code=code, status="open"))
        try:
            uow.commit()
        except Exception:
            logger.exception("Could not store ticket %s", code)
    return f"{len(codes)} tickets handled"
