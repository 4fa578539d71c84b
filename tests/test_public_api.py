"""The public API is what ``iamlab.__all__`` says, and importing it is cheap."""

import subprocess
import sys

import iamlab


def test_every_public_name_resolves():
    for name in iamlab.__all__:
        assert getattr(iamlab, name) is not None, name


def test_unknown_name_is_an_attribute_error():
    try:
        iamlab.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_import_does_no_heavy_work():
    code = (
        "import sys, iamlab; "
        "heavy = [m for m in ('duckdb', 'boto3', 'pandas', 'botocore') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_names_point_at_the_library_objects():
    from iamlab.denials import parse
    from iamlab.policy import evaluate
    from iamlab.workspace import Workspace

    assert iamlab.parse_denial is parse
    assert iamlab.evaluate is evaluate
    assert iamlab.Workspace is Workspace


def test_the_public_api_is_exactly_what_is_meant():
    assert sorted(iamlab.__all__) == sorted([
        "__version__",
        # errors, each documented by when it is raised (iamlab/errors.py)
        "IamlabError", "InputError", "PolicyError", "SnapshotError", "AwsError",
        "ReadOnlyViolation", "MissingDependency", "WorkspaceBusy",
        # evidence in, tables out
        "Workspace", "LoadReport",
        # what AWS said
        "parse_denial", "ParsedDenial",
        # the IAM configuration at a point in time, and replays against it
        "load_snapshot", "Snapshot", "simulate", "Simulation",
        # the engine
        "evaluate", "validate", "Decision", "Request", "Policy", "PolicySet",
        # diagnosis
        "diagnose", "Diagnosis",
        # AWS, read-only
        "whoami", "collect",
    ])  # fmt: skip


def test_every_error_is_one_family():
    for name in iamlab.__all__:
        value = getattr(iamlab, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, iamlab.IamlabError), name
