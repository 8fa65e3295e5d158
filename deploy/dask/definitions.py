"""The pipeline's assets on a Dask cluster: every step (one report partition, the load, the
publish) is a Dask task. Load with ``dagster dev -f deploy/dask/definitions.py`` or
``dagster job execute -f deploy/dask/definitions.py -j documents_job -c deploy/dask/run.yaml``.
Artifacts must be on storage every worker sees (INDICATORS_ARTIFACTS=s3://...), and so must
Dagster's run storage (the same DAGSTER_HOME / dagster.yaml on every machine)."""

import dagster as dg
from dagster_dask import dask_executor

from pipeline import definitions as d

defs = dg.Definitions(
    assets=[d.document, d.warehouse, d.published_dataset],
    asset_checks=[d.keys_hold, d.quarantine_below_threshold, d.frictionless_valid],
    jobs=[d.documents_job, d.publish_job],
    schedules=[d.daily_publish],
    sensors=[d.raw_files_sensor, d.run_failure_report],
    resources={"settings": d.Settings()},
    executor=dask_executor,
)
