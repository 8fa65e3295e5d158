"""The pipeline's assets on Kubernetes: each step (one report partition, the load, the
publish) runs as its own Kubernetes Job (dagster-k8s ``k8s_job_executor``). Point the
Dagster Helm chart's user code deployment at this file (see values.yaml)."""

import dagster as dg
from dagster_k8s import k8s_job_executor

from pipeline import definitions as d

defs = dg.Definitions(
    assets=[d.document, d.warehouse, d.published_dataset],
    asset_checks=[d.keys_hold, d.quarantine_below_threshold, d.frictionless_valid],
    jobs=[d.documents_job, d.publish_job],
    schedules=[d.daily_publish],
    sensors=[d.raw_files_sensor, d.run_failure_report],
    resources={"settings": d.Settings()},
    executor=k8s_job_executor.configured({"max_concurrent": 16}),
)
