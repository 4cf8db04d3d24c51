"""An account's derived state as of a date (snapshot + history), read by plan, gate,
explain and simulate: one implementation of each state question."""

from dunning.state.account import POINTS, AccountState, FlagState, account_state, snapshot_reason, snapshot_state
from dunning.state.ledger import Arrangement, PromiseLedger

__all__ = [
    "POINTS",
    "AccountState",
    "Arrangement",
    "FlagState",
    "PromiseLedger",
    "account_state",
    "snapshot_reason",
    "snapshot_state",
]
