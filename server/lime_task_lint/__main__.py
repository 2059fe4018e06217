"""``python -m lime_task_lint`` starts the language server on stdio;
``python -m lime_task_lint check ...`` runs the CLI."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["serve"]))
