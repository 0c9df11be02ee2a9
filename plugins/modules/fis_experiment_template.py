#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nova.infra engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: fis_experiment_template
version_added: 0.1.0
short_description: Create, update or delete an AWS Fault Injection Service experiment template, and start it
description:
  - Manages one AWS Fault Injection Service (FIS) experiment template, found by its C(Name) tag (O(name)), and
    optionally starts an experiment from it (O(state=started)).
  - The template's targets, actions and stop conditions are given as the FIS API takes them (C(CreateExperimentTemplate),
    camelCase keys). A template that differs from them is updated in place (C(UpdateExperimentTemplate)); an action or
    target no longer wanted is removed by replacing the template (its ID changes; it is found by its name).
  - The AZ-loss drill (playbooks/az-loss-drill.yml) uses it to stop one zone's instances and cut its subnets off.
author:
  - nova.infra engineers (!UNKNOWN)
options:
  name:
    description:
      - The template's C(Name) tag, by which it is found. Up to 128 characters.
    type: str
    required: true
  state:
    description:
      - V(present) makes the template as given, V(absent) deletes every template with the name.
      - V(started) makes the template as V(present) does, then starts an experiment from it (always a change; in
        check mode nothing is started).
      - V(stopped) stops the experiment O(experiment_id) before its actions' durations end (FIS rolls back what
        it can, e.g. removes the network ACL of C(aws:network:disrupt-connectivity)); the template is left alone.
    type: str
    choices: [present, absent, started, stopped]
    default: present
  description:
    description:
      - The template's description (required by FIS). Up to 512 characters.
    type: str
    default: nova.infra experiment
  role_arn:
    description:
      - The IAM role FIS assumes to run the actions (trusting C(fis.amazonaws.com)). Required with O(state=present)
        and O(state=started).
    type: str
  targets:
    description:
      - The targets, by target name, as C(CreateExperimentTemplate) takes them (C(resourceType), C(resourceArns) or
        C(resourceTags), C(filters), C(selectionMode), C(parameters)).
    type: dict
    default: {}
  actions:
    description:
      - The actions, by action name, as C(CreateExperimentTemplate) takes them (C(actionId), C(description),
        C(parameters), C(targets), C(startAfter)); each action's C(targets) name targets of O(targets). Required with
        O(state=present) and O(state=started).
    type: dict
    default: {}
  stop_conditions:
    description:
      - The stop conditions (C(source), C(value)); C(none) means the experiment runs its actions to their end.
    type: list
    elements: dict
    default: [{source: none}]
  experiment_id:
    description:
      - The experiment to stop, with O(state=stopped) (the C(id) in RV(experiment) of O(state=started)).
    type: str
  tags:
    description:
      - Tags of the template besides C(Name) (which O(name) sets; C(aws:) tags are AWS's own); with O(state=started)
        also given to the experiment.
    type: dict
    default: {}
notes:
  - Supports check mode and diff mode.
  - "IAM permissions: C(fis:ListExperimentTemplates), C(fis:GetExperimentTemplate), C(fis:CreateExperimentTemplate),
    C(fis:UpdateExperimentTemplate), C(fis:DeleteExperimentTemplate), C(fis:TagResource), C(fis:StartExperiment),
    C(fis:StopExperiment), and C(iam:PassRole) on O(role_arn)."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.
- name: An experiment template that stops the instances of one AZ for ten minutes
  nova.infra.fis_experiment_template:
    region: us-west-2
    name: nova-production-az-loss-us-west-2a
    description: Stop the stack's instances in us-west-2a
    role_arn: arn:aws:iam::123456789012:role/nova-production-fis
    targets:
      zone-instances:
        resourceType: aws:ec2:instance
        resourceTags: {Stack: nova-production}
        filters:
          - {path: Placement.AvailabilityZone, values: [us-west-2a]}
          - {path: State.Name, values: [running]}
        selectionMode: ALL
    actions:
      stop-instances:
        actionId: aws:ec2:stop-instances
        parameters: {startInstancesAfterDuration: PT10M}
        targets: {Instances: zone-instances}
  register: template

- name: Run it (an experiment - the instances stop now)
  nova.infra.fis_experiment_template:
    region: us-west-2
    name: nova-production-az-loss-us-west-2a
    state: started
    role_arn: "{{ template.template.roleArn }}"
    description: "{{ template.template.description }}"
    targets: "{{ template.template.targets }}"
    actions: "{{ template.template.actions }}"
"""

RETURN = r"""
template:
  description: The template as FIS describes it (C(GetExperimentTemplate), camelCase keys); empty when absent.
  type: dict
  returned: always
  sample: {"id": "EXT1a2b3c4d5e6f7", "description": "Stop the stack's instances in us-west-2a", "targets": {},
           "actions": {}, "stopConditions": [{"source": "none"}], "roleArn": "arn:aws:iam::123456789012:role/x",
           "tags": {"Name": "nova-production-az-loss-us-west-2a"}}
experiment:
  description:
    - The experiment started or stopped (C(id), C(state)), with O(state=started) or O(state=stopped) outside check
      mode; empty otherwise.
  type: dict
  returned: always
  sample: {"id": "EXP1a2b3c4d5e6f7", "state": {"status": "initiating"}}
diff:
  description: The template before and after (targets, actions, stop conditions, role, description, tags).
  type: dict
  returned: when diff mode is on
"""

import re
import uuid

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.nova.infra.plugins.module_utils import aws_calls
from ansible_collections.nova.infra.plugins.module_utils.problems import format_problems
from ansible_collections.nova.infra.plugins.module_utils.problems import problem
from ansible_collections.nova.infra.plugins.module_utils.troubleshoot import aws_failures

COMPARED = ("description", "roleArn", "targets", "actions", "stopConditions")
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")
EXPERIMENT_ID_RE = re.compile(r"^[A-Za-z0-9]{1,64}$")
TARGET_KEYS = {"resourceType", "resourceArns", "resourceTags", "filters", "selectionMode", "parameters"}
ACTION_KEYS = {"actionId", "description", "parameters", "targets", "startAfter"}


def target_problems(targets):
    found = []
    for name, target in targets.items():
        field = f"targets.{name}"
        if not isinstance(target, dict) or not isinstance(target.get("resourceType"), str):
            found.append(problem(field, target, "has no resourceType", "give resourceType, e.g. aws:ec2:instance"))
            continue
        unknown = sorted(set(target) - TARGET_KEYS)
        if unknown:
            found.append(problem(field, ", ".join(unknown), "are not target keys",
                                 f"use only {', '.join(sorted(TARGET_KEYS))} (camelCase, as the FIS API)"))
        if not any(target.get(key) for key in ("resourceArns", "resourceTags", "parameters")):
            found.append(problem(field, target, "selects nothing",
                                 "give resourceArns or resourceTags (with filters to narrow them)"))
    return found


def action_problems(actions, targets):
    found = []
    for name, action in actions.items():
        field = f"actions.{name}"
        if not isinstance(action, dict) or not str(action.get("actionId", "")).startswith("aws:"):
            found.append(problem(field, action, "has no actionId", "give an FIS action id, e.g. aws:ec2:stop-instances"))
            continue
        unknown = sorted(set(action) - ACTION_KEYS)
        if unknown:
            found.append(problem(field, ", ".join(unknown), "are not action keys",
                                 f"use only {', '.join(sorted(ACTION_KEYS))} (camelCase, as the FIS API)"))
        for key, target in (action.get("targets") or {}).items():
            if target not in targets:
                found.append(problem(f"{field}.targets.{key}", target, "is not one of the targets",
                                     f"name one of: {', '.join(sorted(targets)) or '(no targets given)'}"))
    return found


def option_problems(params):
    found = []
    if not 1 <= len(params["name"]) <= 128:
        found.append(problem("name", params["name"], "is not a template name", "give its Name tag, 1 to 128 characters"))
    if not 1 <= len(params["description"]) <= 512:
        found.append(problem("description", params["description"], "is empty or longer than 512 characters",
                             "describe the experiment in up to 512 characters"))
    if params["role_arn"] is not None and not ROLE_ARN_RE.match(params["role_arn"]):
        found.append(problem("role_arn", params["role_arn"], "is not an IAM role ARN",
                             "give arn:aws:iam::<account>:role/<name> of the role FIS assumes"))
    if params["state"] in ("present", "started") and not params["actions"]:
        found.append(problem("actions", None, "is required to make a template",
                             "give at least one action (actionId, parameters, targets)"))
    found += target_problems(params["targets"]) + action_problems(params["actions"], params["targets"])
    for i, condition in enumerate(params["stop_conditions"]):
        if not isinstance(condition.get("source"), str) or set(condition) - {"source", "value"}:
            found.append(problem(f"stop_conditions[{i}]", condition, "is not a stop condition",
                                 "give source (none, or aws:cloudwatch:alarm with value: the alarm ARN)"))
    experiment_id = params["experiment_id"]
    if experiment_id is not None and not EXPERIMENT_ID_RE.match(experiment_id):
        found.append(problem("experiment_id", experiment_id, "is not an experiment ID",
                             "give the id the state=started task returned (letters and digits)"))
    if experiment_id is None and params["state"] == "stopped":
        found.append(problem("experiment_id", None, "is required to stop an experiment",
                             "give the id the state=started task returned"))
    bad_tags = sorted(k for k in params["tags"] if k.lower().startswith("aws:") or k == "Name")
    if bad_tags:
        found.append(problem("tags", ", ".join(bad_tags), "cannot be set here",
                             "leave out aws: tags (AWS's own) and Name (the module sets it from name)"))
    return found


def pruned(value):
    """``value`` without empty parts (None, {}, []), as FIS leaves out what was not set."""
    if isinstance(value, dict):
        kept = {k: pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [pruned(v) for v in value]
    return value


def comparable(template):
    return dict({key: pruned(template.get(key)) for key in COMPARED}, tags=template.get("tags") or {})


class ExperimentTemplate:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = aws_calls.connect(module, "fis")
        self.tags = dict(self.params["tags"], Name=self.params["name"])

    def wanted(self):
        return {
            "description": self.params["description"],
            "roleArn": self.params["role_arn"],
            "targets": self.params["targets"],
            "actions": self.params["actions"],
            "stopConditions": self.params["stop_conditions"],
        }

    def found(self):
        named = [t for t in aws_calls.list_experiment_templates(self.client)
                 if (t.get("tags") or {}).get("Name") == self.params["name"]]
        return [aws_calls.get_experiment_template(self.client, t["id"]) for t in named]

    def exit(self, changed, before, after, experiment=None):
        result = dict(changed=changed, template=after or {}, experiment=experiment or {})
        if self.module._diff:
            result["diff"] = {"before": comparable(before) if before else {}, "after": comparable(after) if after else {}}
        self.module.exit_json(**result)

    def ensure_absent(self):
        found = self.found()
        if found and not self.module.check_mode:
            for template in found:
                aws_calls.delete_experiment_template(self.client, template["id"])
        self.exit(bool(found), found[0] if found else {}, {})

    def ensure_present(self):
        found = self.found()
        wanted = self.wanted()
        current = found[0] if found else None
        # A name held by several templates (a run stopped between create and delete) keeps only the first.
        extra = found[1:]
        after = dict(current or {}, **wanted, tags=self.tags)
        same = current is not None and comparable(current) == comparable(after)
        changed = not same or bool(extra)
        if changed and not self.module.check_mode:
            for template in extra:
                aws_calls.delete_experiment_template(self.client, template["id"])
            after = self.write(current, wanted)
        experiment = None
        if self.params["state"] == "started":
            changed = True
            if not self.module.check_mode:
                experiment = aws_calls.start_experiment(self.client, after["id"], str(uuid.uuid4()), self.tags)
        self.exit(changed, current, after, experiment)

    def stop(self):
        experiment = {}
        if not self.module.check_mode:
            experiment = aws_calls.stop_experiment(self.client, self.params["experiment_id"])
        self.module.exit_json(changed=True, template={}, experiment=experiment)

    def write(self, current, wanted):
        if current is not None:
            removed = (set(current.get("actions") or {}) - set(wanted["actions"])
                       or set(current.get("targets") or {}) - set(wanted["targets"]))
            if not removed:
                aws_calls.update_experiment_template(self.client, current["id"], **wanted)
                if (current.get("tags") or {}) != self.tags:
                    aws_calls.tag_fis_resource(self.client, current["arn"], self.tags)
                return aws_calls.get_experiment_template(self.client, current["id"])
            # FIS cannot drop an action or target in an update: the template is replaced.
            aws_calls.delete_experiment_template(self.client, current["id"])
        created = aws_calls.create_experiment_template(self.client, str(uuid.uuid4()), tags=self.tags, **wanted)
        return aws_calls.get_experiment_template(self.client, created["id"])


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent", "started", "stopped"], default="present"),
        experiment_id=dict(type="str"),
        description=dict(type="str", default="nova.infra experiment"),
        role_arn=dict(type="str"),
        targets=dict(type="dict", default={}),
        actions=dict(type="dict", default={}),
        stop_conditions=dict(type="list", elements="dict", default=[{"source": "none"}]),
        tags=dict(type="dict", default={}),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problems = option_problems(module.params)
    if module.params["state"] in ("present", "started") and module.params["role_arn"] is None:
        problems.append(problem("role_arn", None, "is required to make a template", "give the role FIS assumes"))
    if problems:
        module.fail_json(msg=format_problems(problems, "FIS experiment template", "changed"), problems=problems)
    manager = ExperimentTemplate(module)
    with aws_failures(module):
        if module.params["state"] == "absent":
            manager.ensure_absent()
        if module.params["state"] == "stopped":
            manager.stop()
        manager.ensure_present()


if __name__ == "__main__":
    main()
