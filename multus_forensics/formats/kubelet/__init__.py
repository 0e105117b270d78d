"""The kubelet's own logs: klog text and JSON, journald text and JSON, their fast paths."""
