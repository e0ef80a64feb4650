from typing import Iterable, List, Optional, Tuple

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
        schema: pa.Schema,
        batches: Iterable[pa.RecordBatch],
        as_of: Optional[str] = None,
        benefits: Optional[List[str]] = None,
        keep: Optional[List[str]] = None,
        plain_status: bool = False,
    ) -> pa.RecordBatchReader: ...
    def impact_stream(
        self,
        base: str,
        new: str,
        schema: pa.Schema,
        batches: Iterable[pa.RecordBatch],
        as_of: Optional[str] = None,
        benefits: Optional[List[str]] = None,
        keep: Optional[List[str]] = None,
        examples: int = 3,
        plain_status: bool = False,
    ) -> Tuple[str, str, pa.RecordBatchReader]: ...
    def sample_stream(self, policy: str, n: int, seed: int = 0, batch_size: int = 65536) -> pa.RecordBatchReader: ...
    def fact_schema(self, policy_id: str) -> pa.Schema: ...
