"""ST.96 trademark XML → canonical trademark record.

connectors/st96.py reads ST.96 into the ST.66 office record (WIPO's ST.96 → ST.66 element
mapping), so the mapping to the canonical record is transforms/st66.py's: one mapping for both
standards, and a mark an office delivers in both formats normalizes to the same record
(tests/transforms/test_tsdr_pairs.py checks it on USPTO's TSDR pairs).
"""

from __future__ import annotations

from connectors import st96 as connector
from transforms import st66
from transforms.spec import Format

FORMAT = Format(
    name="st96-trademark",
    table="trademarks",
    read=connector.iter_office_records,
    to_canonical=st66.to_canonical,
    description="WIPO ST.96 trademark XML, any version and wrapper (TrademarkTransaction, TrademarkApplication)",
)
