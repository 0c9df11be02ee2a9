# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Problem records of input validation, shared by the modules: each names the field, its value, what is
wrong and the fix, and all of a run's problems are reported at once in one numbered message."""

from typing import Any
from typing import Dict
from typing import Sequence


def problem(field: str, value: Any, what: str, fix: str) -> Dict[str, Any]:
    return {"field": field, "value": value, "problem": what, "fix": fix}


def format_problem(record: Dict[str, Any]) -> str:
    value = record["value"] if record["value"] not in ("", None) else "(empty)"
    return f"{record['field']}: {value} \u2014 {record['problem']}. Fix: {record['fix']}"


def format_problems(records: Sequence[Dict[str, Any]], subject: str, outcome: str) -> str:
    """e.g. '2 problems in the network settings, nothing was created in AWS: (1) ... (2) ...'."""
    count = len(records)
    head = f"{count} problem{'s' if count != 1 else ''} in the {subject} settings, nothing was {outcome} in AWS:"
    return " ".join([head] + [f"({i}) {format_problem(r)}" for i, r in enumerate(records, 1)])
