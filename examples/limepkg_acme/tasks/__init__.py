from lime_task.schedule import CronTab, ScheduledTask, TaskSession

from . import assignments, contacts, contracts, deals, reports, clean


def get_task_modules():
    """List the task modules the task handler registers.

    Returns:
        list: The modules defining this package's tasks.
    """
    return [assignments, contacts, contracts, deals, reports, clean]


def register_scheduled_tasks():
    """List the tasks that run on a schedule.

    Returns:
        list: One ``ScheduledTask`` per scheduled task.
    """
    return [
        ScheduledTask(
            task=contracts.import_contracts,
            session=TaskSession(user_name="integration", language="en"),
            args=[],
            schedule=CronTab(hour=2, minute=0),
        ),
    ]
