import datetime
import decimal
from typing import Any, Dict, List, Optional, Sequence, Union

import pyarrow as pa

_Date = Union[str, datetime.date, None]

class PolicyError(Exception):
    """The engine refused: a policy that does not compile, an unknown policy or benefit."""

class FactsError(PolicyError):
    """The facts do not fit the policy's declared inputs."""

class ColumnError(PolicyError):
    """A column of a table does not fit the policy."""

_To = Optional[str]  # "pyarrow", "pandas" or "polars"; default: the input's kind

class Impact:
    report: Dict[str, Any]
    text: str
    table: Any
    def __init__(self, report: Dict[str, Any], text: str, table: Any) -> None: ...
    def benefit(self, benefit_id: str) -> Dict[str, Any]: ...
    def total_change(self, benefit_id: str) -> Optional[decimal.Decimal]: ...

class Engine:
    def __init__(self, policies_dir: str) -> None: ...
    @property
    def policies_dir(self) -> str: ...
    def policies(self) -> List[str]: ...
    def decide(
        self,
        policy_id: str,
        facts: Dict[str, Any],
        *,
        as_of: _Date = None,
        benefits: Optional[Sequence[str]] = None,
        trace: bool = False,
    ) -> Dict[str, Any]: ...
    def decide_table(
        self,
        policy_id: str,
        table: Any,
        *,
        as_of: _Date = None,
        benefits: Optional[Sequence[str]] = None,
        keep: Optional[Sequence[str]] = None,
        plain_status: bool = False,
        to: _To = None,
    ) -> Any: ...
    def impact(
        self,
        base: str,
        new: str,
        table: Any,
        *,
        as_of: _Date = None,
        benefits: Optional[Sequence[str]] = None,
        keep: Optional[Sequence[str]] = None,
        examples: int = 3,
        plain_status: bool = False,
        to: _To = None,
    ) -> Impact: ...
    def sample(self, policy_id: str, n: int, *, seed: int = 0, to: str = "pyarrow") -> Any: ...
    def fact_schema(self, policy_id: str) -> pa.Schema: ...
