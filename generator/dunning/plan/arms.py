"""Champion/challenger arms by a stable hash: the same account always lands in the same arm.

The bucket is ``sha256(f"{experiment.id}:{account_id}")`` read as a number modulo 10,000;
arms take consecutive bucket ranges in file order, each ``share`` percent wide (shares are
percentages with up to two decimals, so 10,000 buckets represent them exactly). A bucket
past the last arm (shares summing to under 100, which validate warns about) gets no arm.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Iterable
from decimal import Decimal

from dunning.policy.model import Arm, Experiment, Policy

BUCKETS = 10_000


def bucket(experiment_id: str, account_id: str) -> int:
    """The account's bucket in 0..9999 for this experiment."""
    digest = hashlib.sha256(f"{experiment_id}:{account_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def buckets(experiment_id: str, account_ids: Iterable[str]) -> list[int]:
    """:func:`bucket` for many accounts: the hash of the shared ``experiment_id:`` prefix is
    computed once and copied (a third cheaper per account on a million)."""
    prefix = hashlib.sha256(f"{experiment_id}:".encode())
    # the first 8 bytes read as a big-endian number in place, without slicing them off first
    # (3,600 ids, a 10k-row chunk's in the experiment's tiers: 1.9 -> 1.4 ms)
    first8 = _FIRST8.unpack_from
    out = []
    for account_id in account_ids:
        digest = prefix.copy()
        digest.update(account_id.encode())
        out.append(first8(digest.digest())[0] % BUCKETS)
    return out


_FIRST8 = struct.Struct(">Q")  # int.from_bytes(digest[:8], "big")


def arm_limits(experiment: Experiment) -> tuple[tuple[int, Arm], ...]:
    """Each arm with the bucket it ends before, in file order: a bucket below the first
    limit is the first arm's, and so on; a bucket past the last limit has no arm. Shares
    are percentages (two decimals allowed), so a limit can fall between buckets; the
    integer ``slot < edge`` holds exactly when ``slot < ceil(edge)``."""
    edge = Decimal(0)
    limits = []
    for arm in experiment.arms:
        edge += arm.share * (BUCKETS // 100)
        limits.append((math.ceil(edge), arm))
    return tuple(limits)


def assign_arm(experiment: Experiment, account_id: str) -> Arm | None:
    """The arm whose cumulative share range holds the account's bucket."""
    slot = bucket(experiment.id, account_id)
    for limit, arm in arm_limits(experiment):
        if slot < limit:
            return arm
    return None


def experiment_for(policy: Policy, tier_id: str | None) -> Experiment | None:
    """The first experiment (file order) that covers the tier."""
    if tier_id is None:
        return None
    return next((e for e in policy.experiments if tier_id in e.tiers), None)
