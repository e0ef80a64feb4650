from typing import Any, Optional, Sequence

import pyarrow as pa

def output_schema(policy_id: str, policies_dir: str, input_schema: pa.Schema, keep: Sequence[str] = ()) -> pa.Schema: ...
def decide(
    df: Any,
    policy_id: str,
    policies_dir: str,
    *,
    as_of: Optional[str] = None,
    keep: Sequence[str] = (),
    benefits: Optional[Sequence[str]] = None,
) -> Any: ...
def impact_schema(base: str, new: str, policies_dir: str, input_schema: pa.Schema, keep: Sequence[str] = ()) -> pa.Schema: ...
def impact(
    df: Any,
    base: str,
    new: str,
    policies_dir: str,
    *,
    as_of: Optional[str] = None,
    keep: Sequence[str] = (),
    benefits: Optional[Sequence[str]] = None,
) -> Any: ...
def impact_totals(impact_df: Any, benefit: str) -> dict: ...
