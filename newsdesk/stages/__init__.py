"""The plain functions behind each pipeline stage; Celery tasks and the CLI both call them."""
