"""Contract import from the ERP (database rules: LIME201-LIME204)."""

import logging

import lime_filter
from lime_application import LimeApplication
from lime_task import task

from ..erp import fetch_erp_contracts

logger = logging.getLogger(__name__)


@task
def import_contracts(app: LimeApplication) -> str:
    """Import new contracts from the ERP, skipping those already in Lime.

    Args:
        app: The Lime application.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Importing contracts")
    created = 0
    for row in fetch_erp_contracts():
        existing = app.limetypes.contract.get_all(
            filter=lime_filter.Filter(lime_filter.EqualsOperator("erp_id", row["id"])))
        if existing.count:
            continue
        uow = app.unit_of_work()
        contract = app.limetypes.contract(erp_id=row["id"], name=row["name"])
        uow.add(contract)
        uow.commit()
        created += 1
    return f"{created} contracts created"


@task
def close_expired_deals(app: LimeApplication) -> str:
    """Close every expired deal in one unit of work.

    Args:
        app: The Lime application.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Closing expired deals")
    uow = app.unit_of_work()
    closed = 0
    for deal in app.limetypes.deal.get_all():
        if deal.properties.expired.value:
            deal.properties.dealstatus.set_by_key("lost")
            uow.add(deal)
            closed += 1
    uow.commit()
    return f"{closed} deals closed"


@task
def refresh_company_names(app: LimeApplication, company_ids: list[int]) -> str:
    """Refresh company names from the ERP.

    Args:
        app: The Lime application.
        company_ids: The companies to refresh.

    Returns:
        A summary of the task, stored as the task result.
    """
    logger.info("Refreshing %s companies", len(company_ids))
    uow = app.unit_of_work()
    for company_id in company_ids:
        company = app.limetypes.company.get(company_id)
        company.properties.name.value = company.properties.name.value.strip()
        uow.add(company)
        uow.commit()
    return f"{len(company_ids)} companies refreshed"
