"""A stand-in for proyecto-nube's application (its own repository): only what the worker task
definition's command, `celery -A app.celery_worker.celery_app worker ...`, and docs/CONTRACTS.md
need. Configured from the container's environment alone."""
