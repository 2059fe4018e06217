"""Editor features (hovers, code actions, code lenses, commands): one module each,
registered through :mod:`lime_task_lint.extensions`."""
