"""The HTML report rendered by a real headless Chromium: the text shows, nothing from the logs runs.

The hostile log strings would, if they ran, change the DOM in ways the serialized DOM shows
(``data-pwned="42"`` on ``<body>``, a ``PWNED`` title, an extra element); none of those results
appear literally in the logs, so finding them can only mean the code executed. Chromium is a
system dependency installed by ``scripts/test``; a machine without it fails this test loudly.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from multus_forensics.cli import main

pytestmark = pytest.mark.slow

PAYLOADS = [
    "<script>document.body.dataset.pwned=6*7</script>",
    "<img src=x onerror=\"document.title='PW'+'NED'\">",
    "<svg onload=\"document.body.appendChild(document.createElement('mark-'+'pwned'))\"></svg>",
    "</td></tr></table><script>window.__pwned=1;document.body.dataset.pwned=40+2</script>",
]

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is required for the browser test (scripts/test installs it)"
    return exe


def dump_dom(page: Path, profile: Path) -> str:
    cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class _Text(HTMLParser):
    """Visible text and element names of a serialized DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def hostile_logs(directory: Path) -> list[Path]:
    """Two node bundles whose kubelet logs (klog JSON) carry payloads in pods, errors, junk."""
    paths = []
    for n, payload in enumerate(PAYLOADS[:2]):
        lines = [
            json.dumps(
                {
                    "ts": 1773234127418.552 + i * 1000,
                    "caller": "kuberuntime/kuberuntime_manager.go:1172",
                    "msg": "CreatePodSandbox for pod failed",
                    "pod": {"name": f"probe-{n}", "namespace": "lab" + PAYLOADS[2]},
                    "err": "rpc error: code = Unknown desc = " + payload,
                }
            )
            for i in range(3)
        ]
        lines.append("stray line " + PAYLOADS[3])
        node = directory / f"node-{n}"
        node.mkdir()
        (node / "kubelet.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(node)
    return paths


def test_browser_shows_hostile_log_text_and_runs_none_of_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = hostile_logs(tmp_path)
    out = tmp_path / "report"
    assert main(["report", *map(str, logs), "-o", str(out), "-q", "-j", "1"]) == 0
    capsys.readouterr()
    pages = [out / "report.html", *sorted((out / "inputs").glob("*.html"))]
    assert len(pages) == 3
    for page in pages:
        dom = dump_dom(page, tmp_path / "profile")
        parsed = _Text()
        parsed.feed(dom)
        text = " ".join(parsed.text)
        names = [t for t, _ in parsed.tags]
        assert "Root causes (ranked)" in text
        assert "Parse coverage" in text
        assert PAYLOADS[3] in text  # the stray line's excerpt, shown verbatim as text
        assert "data-pwned" not in dom
        assert "PWNED" not in dom
        assert "mark-pwned" not in names
        assert "script" not in names
        assert "svg" not in names
        assert not [a for t, a in parsed.tags if t == "img" and a.get("src") == "x"]
    index_text = " ".join(_parse(dump_dom(pages[0], tmp_path / "profile")).text)
    assert "rpc error: code = Unknown desc = " + PAYLOADS[0] in index_text
    assert "rpc error: code = Unknown desc = " + PAYLOADS[1] in index_text
    assert "lab" + PAYLOADS[2] + "/probe-0" in index_text


def _parse(dom: str) -> _Text:
    parsed = _Text()
    parsed.feed(dom)
    return parsed
