# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""module_utils.readback.read_until, the read-back loop of the upstream copies, on a fake clock: reads at once, then
after 0.25 s and a doubling delay up to its cap, until the answer settles or the bound is near."""

import math
from types import SimpleNamespace

import pytest

from ansible_collections.nova.infra.plugins.module_utils import readback


@pytest.fixture
def clock(fake_clock, monkeypatch):
    clock = fake_clock
    monkeypatch.setattr(readback, "time", SimpleNamespace(monotonic=clock.monotonic, sleep=clock.sleep))
    return clock


def answers(*values):
    """A read answering `values` in turn (the last one forever), counting its calls."""
    pending = list(values)

    def read():
        read.calls += 1
        return pending.pop(0) if len(pending) > 1 else pending[0]

    read.calls = 0
    return read


def test_a_settled_first_read_returns_at_once_without_sleeping(clock):
    read = answers("as written")
    assert readback.read_until(read, lambda answer: answer == "as written", timeout=30) == ("as written", True)
    assert read.calls == 1 and clock.slept == []


def test_reads_again_after_a_doubling_delay_up_to_the_cap(clock):
    read = answers(None, None, None, None, None, "as written")
    assert readback.read_until(read, lambda answer: answer == "as written", timeout=30, max_delay=1) == (
        "as written", True)
    assert clock.slept == [0.25, 0.5, 1, 1, 1]


def test_at_the_bound_returns_the_last_answer_unsettled(clock):
    read = answers("stale")
    assert readback.read_until(read, lambda answer: answer == "as written", timeout=10) == ("stale", False)
    # 0.25 + 0.5 + 1 + 2 + 4 = 7.75 s slept; the next wait (5 s, the cap) would start a read past 10 s.
    assert clock.slept == [0.25, 0.5, 1, 2, 4] and read.calls == 6


def test_no_bound_keeps_reading(clock):
    read = answers(*[None] * 40, "as written")
    assert readback.read_until(read, lambda answer: answer is not None, timeout=math.inf, max_delay=3)[1] is True
    assert read.calls == 41 and max(clock.slept) == 3
