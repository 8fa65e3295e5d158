"""The pipeline's assets on Celery workers with a Redis broker: every step (one report
partition, the load, the publish) is a Celery task that a worker picks up from Redis.
Start workers with ``dagster-celery worker start -A dagster_celery.app -y deploy/celery/run.yaml``
(broker and backend from CELERY_BROKER_URL / CELERY_RESULT_BACKEND, e.g. redis://redis:6379/0),
then run jobs with ``dagster job execute -f deploy/celery/definitions.py -j documents_job
-c deploy/celery/run.yaml`` or from ``dagster dev -f deploy/celery/definitions.py``.
Artifacts must be on storage every worker sees (INDICATORS_ARTIFACTS=s3://...), and so must
raw/, published/ and Dagster's run storage (the same DAGSTER_HOME / dagster.yaml everywhere)."""

from dagster_celery import celery_executor

from pipeline import definitions as d

defs = d.definitions(executor=celery_executor)
