# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja filters over drift records (module_utils/drift.py)."""

from ansible_collections.nova.infra.plugins.module_utils.drift import summary


def drift_lines(records):
    """One line per drift record: where, what, actual against the design."""
    return [summary(record) for record in records or []]


class FilterModule:
    def filters(self):
        return {"drift_lines": drift_lines}
