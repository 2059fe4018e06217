"""Who works on what: tasks that follow relations and look people up."""

import logging

from lime_application import LimeApplication
from lime_filter import AndOperator, EqualsOperator as Eq, Filter
from lime_task import task

logger = logging.getLogger(__name__)


def find_person(app: LimeApplication, email: str):
    """The first person with this email, or None.

    Args:
        app: The Lime application.
        email: The email address to look for.

    Returns:
        The person, or None when nobody has that address.
    """
    for person in app.limetypes.person.get_all(filter=Filter(Eq("email", email))):
        return person
    return None


@task
def coworker_report(app: LimeApplication) -> str:
    """Count the deals of each coworker.

    Args:
        app: The Lime application.

    Returns:
        A summary of the task, stored as the task result.
    """
    per_coworker: dict[str, int] = {}
    for deal in app.limetypes.deal.get_all():
        coworker = deal.properties.coworker.fetch()
        name = coworker.properties.name.value if coworker is not None else "(nobody)"
        per_coworker[name] = per_coworker.get(name, 0) + 1
    logger.info("Deals per coworker: %s", per_coworker)
    return f"{len(per_coworker)} coworkers have deals"


@task
def match_signups(app: LimeApplication, signups: list[dict]) -> str:
    """Match web signups to known persons by email.

    Args:
        app: The Lime application.
        signups: Rows with an ``email`` key.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Matching %s signups", len(signups))
    matched = 0
    for signup in signups:
        if not signup.get("email"):
            continue
        if find_person(app, signup["email"]) is not None:
            matched += 1
    return f"{matched} of {len(signups)} signups are known persons"


@task
def open_contract_codes(app: LimeApplication, codes: list[str]) -> str:
    """Count the ERP codes that have an active contract in Lime.

    Args:
        app: The Lime application.
        codes: ERP contract codes.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Checking %s contract codes", len(codes))
    active = 0
    for code in codes:
        found = list(app.limetypes.contract.get_all(
            filter=Filter(AndOperator(Eq("erp_id", code), Eq("status", "active")))))
        if found:
            active += 1
    return f"{active} of {len(codes)} codes have an active contract"
