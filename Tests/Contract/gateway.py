"""The contract run's gateway: the example policies, copied so the run never touches the tree."""

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Support"))
from countersignd import ROOT, Countersignd  # noqa: E402


class Gateway(Countersignd):
    def __init__(self):
        super().__init__("countersign-contract-", lambda policies: shutil.copytree(ROOT / "policies", policies))
