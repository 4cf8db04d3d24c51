"""dunning — collections-as-code.

Pipeline, one direction, one package per stage:
load → validate (rules/) → compile (policy/) → plan → render → publish (handbook/).
The compiled :class:`dunning.policy.model.Policy` is the one artifact the later stages share.
"""

__version__ = "0.1.0"
