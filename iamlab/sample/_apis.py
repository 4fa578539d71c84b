"""API call shapes per service: what each call puts in requestParameters,
responseElements, resources and additionalEventData.

Each builder returns a ``call`` dict of keyword arguments for
``_records.record`` (source, name, read_only, params, ...); the actor adds who,
when, from where. Shapes follow published CloudTrail examples (from memory
where no example was at hand; values are invented). This module gathers the
builders of ``_apis_core`` and ``_apis_app`` under one name.
"""

from iamlab.sample._apis_app import *  # noqa: F403
from iamlab.sample._apis_core import *  # noqa: F403
from iamlab.sample.traffic.calls import HIDDEN, VERSIONS, api_call, hexs, instance_id  # noqa: F401
from iamlab.sample.traffic.records import new_id  # noqa: F401
