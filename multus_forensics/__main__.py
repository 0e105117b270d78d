"""``python -m multus_forensics``."""

from multus_forensics.cli import run

if __name__ == "__main__":
    run()
