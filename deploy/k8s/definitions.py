"""The pipeline's assets on Kubernetes: each step (one report partition, the load, the
publish) runs as its own Kubernetes Job (dagster-k8s ``k8s_job_executor``), sized by
executor.yaml. Point the Dagster Helm chart's user code deployment at this file (values.yaml);
the image needs this repository installed with ``pip install -c constraints.txt ".[k8s]"``."""

from pathlib import Path

import yaml
from dagster_k8s import k8s_job_executor

from pipeline import definitions as d

# Fixed here, not given as run config: runs from the sensor and the schedule carry none.
EXECUTOR_CONFIG = yaml.safe_load(Path(__file__).with_name("executor.yaml").read_text("utf-8"))

defs = d.definitions(executor=k8s_job_executor.configured(EXECUTOR_CONFIG))
