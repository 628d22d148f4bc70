#!/usr/bin/env python3
"""Shares of a server's JFR execution samples by part of a host attestation.

    vouch-bench/scripts/jfr-parts.py RECORDING.jfr [HH:MM:SS HH:MM:SS]

Reads `jfr print --events jdk.ExecutionSample` (the JDK's `jfr` on PATH) and gives each sample to
the first part below whose pattern matches a frame of its stack, so a database call made while
judging flavors counts as that database call. With a window (UTC, as JFR prints start times), only
the samples taken in it count: `bench hosts` measures after its warm-up, and enrolment and the
report listing that follows the window are other work.
"""
import collections
import re
import subprocess
import sys

PARTS = [
    ("DB: a host's flavors", r"FlavorStore\.(candidateRecords|applicable|memberships)"),
    ("DB: golden reset count", r"FlavorStore\.goldenResetCount"),
    ("DB: flavor groups of the host", r"FlavorStore\.(assignments|group)\b"),
    ("DB: golden decision", r"FlavorStore\.decide"),
    ("DB: runtime policy", r"RuntimePolicyStore\."),
    ("DB: IMA state", r"ImaStateStore\.get"),
    ("report signing (JSON, JWS, ECDSA)", r"TrustReports.*sign|X5cJws|Signer\.sign"),
    ("DB: report and status (one transaction)", r"TrustReportStore\.add|HostRegistry\.complete"),
    ("DB: leases (claim, renew)", r"HostRegistry\.(claim|renew)"),
    ("DB: enrolled host (AK)", r"EnrollmentStore"),
    ("DB: other", r"org\.h2\.|org\.postgresql\.|com\.zaxxer"),
    ("quote verify (signature, PCRs, event log)", r"HostAttestor\.verify|TpmEvidenceVerifier"),
    ("flavor matching", r"FlavorMatcher|GoldenFlavors|HostVerifier\.judge"),
    ("evidence and measured facts", r"HostEvidence|MeasuredFacts|HostVerifier\.evidence"),
    ("quote reply JSON", r"Replies\.read|QuoteResponse\.parse"),
    ("NATS", r"io\.nats\."),
    ("JSON (other)", r"com\.fasterxml\.jackson"),
    ("HTTP (Jetty, Javalin)", r"org\.eclipse\.jetty|io\.javalin"),
]


def main():
    recording = sys.argv[1]
    window = sys.argv[2:4] if len(sys.argv) >= 4 else None
    text = subprocess.run(
        ["jfr", "print", "--events", "jdk.ExecutionSample", "--stack-depth", "128", recording],
        capture_output=True, text=True, check=True).stdout
    counts = collections.Counter()
    total = 0
    for sample in text.split("jdk.ExecutionSample")[1:]:
        frames = re.findall(r"^\s+([\w$.<>/]+)\(", sample, re.M)
        if not frames:
            continue
        if window:
            at = re.search(r"startTime = (\d\d:\d\d:\d\d)", sample)
            if not at or not window[0] <= at.group(1) < window[1]:
                continue
        total += 1
        stack = "\n".join(frames)
        for name, pattern in PARTS:
            if re.search(pattern, stack):
                counts[name] += 1
                break
        else:
            counts["other: " + frames[0].rsplit(".", 2)[0]] += 1
    print(f"samples {total}")
    for name, n in counts.most_common(25):
        print(f"{n:6d} {100 * n / max(total, 1):5.1f}%  {name}")


if __name__ == "__main__":
    main()
