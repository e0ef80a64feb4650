from typing import Any, List, Optional

import pyarrow as pa

class PolicyError(Exception): ...
class FactsError(PolicyError): ...
class ColumnError(PolicyError): ...

class Engine:
    def __init__(self, policies_dir: str) -> None: ...
    def policies(self) -> List[str]: ...
    def decide_json(
        self,
        policy_id: str,
        facts_json: str,
        as_of: Optional[str] = None,
        benefits: Optional[List[str]] = None,
        trace: bool = False,
    ) -> str: ...
    def decide_stream(
        self,
        policy_id: str,
        stream: Any,
        as_of: Optional[str] = None,
        benefits: Optional[List[str]] = None,
        keep: Optional[List[str]] = None,
        plain_status: bool = False,
    ) -> pa.RecordBatchReader: ...
    def fact_schema(self, policy_id: str) -> pa.Schema: ...
