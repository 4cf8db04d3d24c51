"""Load stage: policy files → documents whose every key and value remembers its position."""

from dunning.load.documents import Pos, SourceFile, YList, YMap, position_of
from dunning.load.repository import PolicyRepository, load_repository
from dunning.load.yaml_source import load_yaml_text

__all__ = [
    "PolicyRepository",
    "Pos",
    "SourceFile",
    "YList",
    "YMap",
    "load_repository",
    "load_yaml_text",
    "position_of",
]
