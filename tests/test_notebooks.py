"""The notebooks run top to bottom in a real kernel, show what they promise, and store no outputs.

Each notebook is executed by ``nbclient`` with an ``ipykernel`` started from this interpreter (a
kernelspec written to a temp dir, so a fresh CI venv needs no ``jupyter kernelspec install``),
working directory ``notebooks/``, ``MPLBACKEND=Agg`` and a per-cell timeout.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = ROOT / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
CELL_TIMEOUT = 240
KERNEL = "multus-forensics-test"
# what each notebook must show: texts in its outputs, and at least this many rendered figures
EXPECT: dict[str, tuple[tuple[str, ...], int]] = {
    "01_quick_start.ipynb": (
        (
            "innermost error of attempt 1: interface name net1 already exists",
            "multus_self_delegation",
        ),
        2,
    ),
    "02_add_order_deep_dive.ipynb": (
        ("self_delegation_reentry", "dual-nic-5f7d9c8b6-m4x2p", "eth0 from multus-cni-network"),
        1,
    ),
    "03_batch_archive.ipynb": (
        ("master_interface_missing", "kubeconfig_auth_failure", "fleet-worker-3"),
        4,
    ),
    "04_writing_a_rule.ipynb": (
        (
            "unclassified x1: failed to find host device: Link not found",
            "LOCAL-HOSTDEV-MISSING",
            "RuleError",
            "unclassified left: 0",
        ),
        0,
    ),
}


# the objects each notebook displays, which must render as HTML (``data-object`` names the class)
SHOWN: dict[str, tuple[str, ...]] = {
    "01_quick_start.ipynb": ("EventLog", "Timelines", "ErrorChain", "Diagnosis", "Finding"),
    "02_add_order_deep_dive.ipynb": ("ErrorChain",),
    "03_batch_archive.ipynb": ("Diagnosis",),
    "04_writing_a_rule.ipynb": ("Diagnosis",),
}


def test_every_notebook_has_expectations() -> None:
    assert [p.name for p in PATHS] == sorted(EXPECT) == sorted(SHOWN)


@pytest.fixture(scope="module")
def kernel_manager_factory(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    kernels = tmp_path_factory.mktemp("jupyter") / "kernels"
    spec = kernels / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "multus-forensics (test venv)",
                "language": "python",
                "env": {"MPLBACKEND": "Agg"},
            }
        )
    )

    def make() -> Any:
        ksm = KernelSpecManager(kernel_dirs=[str(kernels)])
        return KernelManager(kernel_name=KERNEL, kernel_spec_manager=ksm)

    return make


def _outputs(nb: Any) -> tuple[str, int, list[str]]:
    """All text the notebook printed or displayed, how many PNG figures it rendered, and the
    classes of the package's objects displayed as HTML, in order."""
    texts, images, shown = [], 0, []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                texts.append(out["text"])
            data = out.get("data", {})
            texts.extend(str(data[k]) for k in ("text/plain", "text/html") if k in data)
            images += "image/png" in data
            html = str(data.get("text/html", ""))
            shown.extend(re.findall(r'^<div class="mf" data-object="(\w+)">', html))
            if "text/html" in data and html.startswith('<div class="mf"'):
                assert str(data["text/plain"]).startswith("<"), "the short repr goes with it"
    return "\n".join(texts), images, shown


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_runs_in_a_real_kernel(path: Path, kernel_manager_factory: Any) -> None:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        km=kernel_manager_factory(),
        timeout=CELL_TIMEOUT,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    text, images, shown = _outputs(nb)
    assert shown == list(SHOWN[path.name])
    expected, min_images = EXPECT[path.name]
    for needle in expected:
        assert needle in text, f"{path.name}: {needle!r} not in the outputs"
    assert images >= min_images
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)


PRIVATE = re.compile(r"multus_forensics(?:\.\w+)*\._\w+|\bfrom\s+\.")


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_uses_only_the_public_api(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert PRIVATE.findall(source) == []
    assert "import multus_forensics as mf" in source
