"""Helpers of the AlertaUTEC DAGs: the incident classifier, the SNS notifier, the metrics
calculator, the report renderer and the backup exporter.

Nothing here talks to AWS at import time; DAG files import these modules inside their tasks.
"""
