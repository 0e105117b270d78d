"""kubectl output: describe, events, pod JSON/YAML, the OpenShift event monitor."""
