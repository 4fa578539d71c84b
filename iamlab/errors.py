"""The one family of errors iamlab raises on purpose.

Every message names the bad value, what would have been valid, and what to do
next. The CLI turns any ``IamlabError`` into a one-line message and exit
status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class IamlabError(Exception):
    """Base class: a problem with the user's input or environment, not a bug."""


class InputError(IamlabError):
    """A file, folder or value given by the user cannot be used (names it and where)."""


class PolicyError(IamlabError):
    """A policy document is malformed: names the policy, statement and field."""


class SnapshotError(IamlabError):
    """A snapshot folder is missing a file or holds one that cannot be read."""


class AwsError(IamlabError):
    """An AWS call failed in a way the user must act on (credentials, permission)."""


class ReadOnlyViolation(AwsError):
    """iamlab refused to send an AWS operation that is not on its read-only allow-list."""


class MissingDependency(IamlabError):
    """An optional dependency is not installed; the message gives the pip command."""
