from lime_task import task


@task
def count_companies(app):
    """Count companies."""
    return len(list(app.limetypes.company.get_all()))
