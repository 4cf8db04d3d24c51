"""The input contracts: account snapshot rows and contact history events (see DESIGN.md)."""

from dunning.accounts.model import Account, Contact

__all__ = ["Account", "Contact"]
