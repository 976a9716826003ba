"""Readiness before an edition opens: a load test shaped like the last evening of voting,
checked against service-level objectives, with a verdict in Polish and English and an HTML
report. Run ``make loadtest`` or ``python -m loadtests.readiness --help``."""
