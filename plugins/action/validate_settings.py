# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nova.infra.validate_settings: a role's settings judged on the controller (no module is shipped, no AWS call)."""

from ansible.errors import AnsibleActionFail
from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.nova.infra.plugins.module_utils import settings as rules
from ansible_collections.nova.infra.plugins.module_utils.problems import format_problems


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("role", "settings"))
    _requires_connection = False

    def read_key(self, path):
        """The text of a public key file, found as ansible.builtin.file finds it ('' when it cannot be read)."""
        try:
            found = self._find_needle("files", path)
            with open(found, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except (AnsibleError, OSError):
            return ""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        role = self._task.args.get("role")
        given = self._task.args.get("settings")
        if role not in rules.ROLE_SETTINGS:
            raise AnsibleActionFail(f"role: {role!r} is not one of {', '.join(sorted(rules.ROLE_SETTINGS))}")
        if not isinstance(given, dict):
            raise AnsibleActionFail("settings: give the role's variables as a dict (name: value)")
        try:
            problems = rules.check(role, given, self.read_key)
        except KeyError as e:
            raise AnsibleActionFail(f"settings: {e.args[0]}") from e
        result.update(changed=False, problems=problems)
        if problems:
            result.update(failed=True, msg=format_problems(problems, role, "created"))
        return result
