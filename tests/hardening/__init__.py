"""Hardening tests (issue 8): fuzzing every reader, malicious pickles, atomic operators and writers, the CLI's exit
codes and the extension's hygiene. The package name avoids shadowing any standard-library module."""
