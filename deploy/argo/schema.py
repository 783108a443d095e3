#!/usr/bin/env python3
"""Prints the JSON Schema of Argo Workflows' Workflow and WorkflowTemplate resources, as one
JSON object keyed by kind.

The schema is the one published with hera-workflows (pinned in .ci/pip-requirements): its
models are generated from Argo Workflows' own JSON schema, and pydantic writes them back out as
JSON Schema. Every object that lists its properties is closed (additionalProperties: false), as
`argo lint` decodes manifests strictly: a misspelt field fails here as it fails there, instead of
being ignored by a lenient reader.
"""
import json
import sys

from hera.workflows.models import Workflow, WorkflowTemplate


def closed(node):
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            closed(value)
    elif isinstance(node, list):
        for value in node:
            closed(value)
    return node


json.dump(
    {
        "Workflow": closed(Workflow.model_json_schema(by_alias=True)),
        "WorkflowTemplate": closed(WorkflowTemplate.model_json_schema(by_alias=True)),
    },
    sys.stdout,
)
