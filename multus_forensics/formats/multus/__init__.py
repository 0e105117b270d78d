"""The Multus log file (thin plugin and thick daemon) and the Multus entrypoint."""
