# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading a resource back after a write. AWS's reads are eventually consistent: right after a create or a change,
a describe may not show it yet. The copies of amazon.aws modules (docs/upstream-patches.md) read at once and then
with a growing delay until the resource reads back as written, where upstream sleeps a fixed time first or waits and
then reads once more; this is that loop, once."""

from __future__ import annotations

import time
from typing import Callable
from typing import TypeVar

Answer = TypeVar("Answer")

FIRST_DELAY = 0.25


def read_until(
    read: Callable[[], Answer],
    settled: Callable[[Answer], bool],
    timeout: float,
    max_delay: float = 5.0,
) -> tuple[Answer, bool]:
    """Call ``read()`` at once, then after 0.25 s, a delay doubling up to ``max_delay``, until ``settled(answer)``
    is true or until the next read would start more than ``timeout`` seconds after the first (``math.inf``: no
    bound). Returns the last answer and whether it settled; the caller decides what an unsettled answer means
    (fail as upstream's waiter would, or return what it read)."""
    deadline = time.monotonic() + timeout
    delay = FIRST_DELAY
    while True:
        answer = read()
        if settled(answer):
            return answer, True
        if time.monotonic() + delay > deadline:
            return answer, False
        time.sleep(delay)
        delay = min(delay * 2, max_delay)
