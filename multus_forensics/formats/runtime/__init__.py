"""Container-runtime logs: containerd, CRI-O, crictl, CRI and docker container logs, calico."""
