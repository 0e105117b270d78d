"""Abstain where the evidence is not about Multus, or not a log at all.

Two situations make a finding a claim the input cannot carry:

* **Not a log.** Findings that rest only on raw lines without a log header (read by
  :mod:`multus_forensics.classify.fallback`) of files in which no format recognised anything,
  or lines of source-code files read as pasted error lines (source files quote error texts),
  are withdrawn: nothing shows that a node
  ever emitted those texts.
* **No sign of Multus.** Generic CNI signatures on a node whose input never mentions Multus
  (no multus plugin, daemon, NAD, network-status annotation or AddedInterface event) map to the
  generic causes and say so: "No networks found in /etc/cni/net.d" and first-boot "cni config
  uninitialized" mean the CNI config is missing (the default network is not ready), and causes
  that only exist with Multus are capped below :data:`NO_MULTUS_CAP` as warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from multus_forensics.classify.fallback import FALLBACK_FORMAT
from multus_forensics.classify.findings import claimed
from multus_forensics.lazyre import lazy_regex

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.classify.context import Context
    from multus_forensics.classify.findings import Diagnosis, Finding

#: causes that only exist where Multus runs
MULTUS_CAUSES: Final = frozenset(
    {
        "multus_self_delegation",
        "kubeconfig_auth_failure",
        "stale_multus_config_after_uninstall",
        "nad_not_found",
        "multus_daemon_unavailable",
        "multus_bug",
        "teardown_state_missing",
        "pod_not_in_api",
        "duplicate_ifname_in_request",
        "secondary_default_route_conflict",
        "ipam_leak_on_delete",
    }
)
#: formats that accept any error-looking line (a paste), and names of source-code files
LOOSE_FORMATS: Final = frozenset({FALLBACK_FORMAT, "bare-error"})
SOURCE_SUFFIXES: Final = (
    ".py",
    ".go",
    ".c",
    ".h",
    ".js",
    ".ts",
    ".java",
    ".rs",
    ".rb",
    ".ipynb",
    ".toml",
    ".rst",
    ".sh",
)
#: the start of a line some logger wrote (klog, ISO or syslog time, logrus): a raw line with one
#: is log evidence even when detection recognised no format in its file (a preamble hid it)
LOG_HEADER: Final = lazy_regex(
    r"\s*(?:[IWEF]\d{4} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d"
    r"|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|time=\"?\d{4}-|level=\w+ )"
)
#: highest confidence of a finding that needs Multus on an input without any sign of it
NO_MULTUS_CAP: Final = 0.45
_MULTUS_SIGN: Final = lazy_regex(
    r"(?i)multus|network-attachment-definition|net-attach-def|k8s\.v1\.cni\.cncf\.io|"
    r"AddedInterface|whereabouts|sriov|\bNAD\b"
)
#: generic signatures that, without Multus, mean the node has no usable CNI config yet
_CONFIG_MISSING: Final = lazy_regex(
    r"No networks found in /etc/cni/net\.d|cni config uninitiali[sz]ed|"
    r"no networks found in /etc/cni/net\.d|NetworkPluginNotReady"
)
_GENERIC_CAUSE: Final = "default_network_not_ready"


@dataclass(frozen=True)
class _Cited:
    """What :func:`_raw_only` reads of a matched line."""

    format: str
    raw: str


@dataclass(frozen=True)
class _InputFacts:
    """What abstention needs to know about the input (the only place it reads the context)."""

    #: some event comes from, or names, Multus or its satellites
    multus_sign: bool
    #: (file, member or "") in which a format recognised at least one record
    recognised_files: frozenset[tuple[str, str]]
    #: format and raw text at each (file, member or "", line) a finding matched
    by_line: dict[tuple[str, str, int], _Cited]


#: the columns :func:`multus_mentions` reads
_MENTION_COLUMNS: Final = ("source", "kind", "format", "raw", "message", "error")


def multus_mentions() -> pl.Expr:
    """Rows that are a sign of Multus: its source, kinds or formats, or its name in the text."""
    import polars as pl

    return (
        pl.col("source").fill_null("").str.starts_with("multus")
        | pl.col("kind").str.starts_with("multus:")
        | pl.col("format").str.starts_with("multus")
        | pl.col("format").str.starts_with("whereabouts")
        | pl.any_horizontal(
            [
                pl.col(c).fill_null("").str.contains(_MULTUS_SIGN.pattern)
                for c in ("raw", "message", "error")
            ]
        )
    )


def _facts(ctx: Context, diagnosis: Diagnosis) -> _InputFacts:
    """The facts, read by expressions over the context's frame; events only for cited lines."""
    import polars as pl

    def compute() -> tuple[bool, frozenset[tuple[str, str]]]:
        mentions = multus_mentions()
        # the events already read (candidates, hits) first: one of them usually shows Multus,
        # which spares the scan of every text of the input
        at = pl.Series(sorted(ctx.materialised), dtype=pl.Int64)
        seen = ctx.frame.select(_MENTION_COLUMNS)[at]  # the columns it reads, not every one
        sign = bool(seen.select(mentions.any()).item()) or bool(
            ctx.frame.select(mentions.any()).item()
        )
        # a file (an archive member: they share the archive's name) is recognised by a row in a
        # known format, or a fallback row that says so in its fields: only rows not known to be
        # in a format have their fields read
        formatted = (pl.col("format") != FALLBACK_FORMAT).fill_null(False)
        says = pl.col("fields").str.contains(r'"fallback":\s*"line"')
        place = ("file", pl.col("member").fill_null("").alias("_m"))
        frame = ctx.frame.lazy()
        known = frame.filter(formatted).select(*place).unique()
        told = frame.filter(~formatted).select(*place, "fields").filter(says).select("file", "_m")
        files = pl.concat([known, told.unique()]).collect()
        return sign, frozenset(files.iter_rows())

    sign, recognised = ctx.memo("abstain:facts", compute)
    # only matched lines decide (see _raw_only); a bundle's members share its file name, so a
    # place is (file, member, line)
    cited = {
        (e.file, e.member or "", e.line)
        for f in diagnosis.findings
        for e in claimed(f.evidence, "match")
    }
    by_line: dict[tuple[str, str, int], _Cited] = {}
    if cited:
        keys = pl.DataFrame(
            sorted(cited),
            schema={"file": pl.String, "_m": pl.String, "line": pl.Int64},
            orient="row",
        )
        # rows on a cited line number first (an integer test), then the cited places among
        # them by a join: no event object is made, three columns are read
        lines = pl.col("line").is_in(keys.get_column("line").unique().implode())
        rows = (
            ctx.frame.lazy()
            .filter(lines)
            .select("file", pl.col("member").fill_null("").alias("_m"), "line", "format", "raw")
            .join(keys.lazy(), on=["file", "_m", "line"])
            .collect()
        )
        for file, member, line, fmt, raw in rows.iter_rows():
            by_line[(file, member, line)] = _Cited(fmt, raw or "")
    return _InputFacts(sign, recognised, by_line)


def _named(place: tuple[str, str]) -> str:
    """The name of a file or archive member, whose suffix says what it holds."""
    file, member = place
    return member or file


def _raw_only(finding: Finding, facts: _InputFacts) -> bool:
    """Every matched line of the finding comes from a file in which no format recognised
    anything (raw lines without a log header), or from a source-code file."""
    matched = [
        ((e.file, e.member or ""), facts.by_line.get((e.file, e.member or "", e.line)))
        for e in claimed(finding.evidence, "match")
    ]
    return bool(matched) and all(
        c is not None
        and (
            (
                c.format == FALLBACK_FORMAT
                and place not in facts.recognised_files
                and not LOG_HEADER.match(c.raw)
            )
            # a source file quoting error texts is read as pasted error lines at best
            or (c.format in LOOSE_FORMATS and _named(place).endswith(SOURCE_SUFFIXES))
        )
        for place, c in matched
    )


def _generic(finding: Finding, generic_rules: frozenset[str]) -> Finding:
    """The finding as the generic CNI cause it is without Multus (``generic_rules``: rules whose
    signature is written without Multus too, so their cause is not capped)."""
    config_missing = any(_CONFIG_MISSING.search(e.text) for e in finding.evidence)
    if config_missing:
        return replace(
            finding,
            root_cause=_GENERIC_CAUSE,
            severity="warning",
            confidence=min(finding.confidence, NO_MULTUS_CAP),
            summary=(
                "The node has no usable CNI configuration yet (the default network is not ready). "
                "The input shows no sign of Multus, so this is the generic CNI condition, not a "
                f"Multus cause. {finding.summary}"
            ),
            reasons=(*finding.reasons, f"mapped from {finding.root_cause}: no sign of Multus"),
        )
    if finding.root_cause in MULTUS_CAUSES and finding.rule not in generic_rules:
        return replace(
            finding,
            severity="warning" if finding.severity in ("error", "critical") else finding.severity,
            confidence=min(finding.confidence, NO_MULTUS_CAP),
            reasons=(
                *finding.reasons,
                f"capped at {NO_MULTUS_CAP:.2f}: no sign of Multus in the input",
            ),
        )
    if finding.severity in ("error", "critical") and finding.confidence >= 0.5:
        return replace(
            finding,
            severity="warning",
            reasons=(*finding.reasons, "severity lowered: no sign of Multus in the input"),
        )
    return finding


def abstain(
    diagnosis: Diagnosis, ctx: Context, generic_rules: frozenset[str] = frozenset()
) -> Diagnosis:
    """``diagnosis`` without the claims its input cannot carry (see the module docstring);
    ``generic_rules`` are the ids of rules marked ``generic`` in the catalog."""
    facts = _facts(ctx, diagnosis)
    findings = [f for f in diagnosis.findings if not _raw_only(f, facts)]
    withdrawn = len(diagnosis.findings) - len(findings)
    if not facts.multus_sign:
        merged: dict[str, Finding] = {}
        for f in (_generic(f, generic_rules) for f in findings):
            best = merged.get(f.root_cause)
            if best is None or f.confidence > best.confidence:
                merged[f.root_cause] = f
        findings = list(merged.values())
    diagnosis.findings = sorted(findings, key=lambda f: (-f.confidence, f.root_cause))
    if withdrawn:
        diagnosis.stats["withdrawn_findings"] = withdrawn
    return diagnosis
