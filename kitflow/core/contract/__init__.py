"""The data contract, declared once: every input file's sheets, columns, headers and formats.

The parsers read their header names and required columns from here, `kitflow template` writes
its workbooks from here, and docs/data-contract.md's tables are made from here
(scripts/data_contract_tables.py; tests/test_data_contract.py fails when they differ).
"""

from kitflow.core.contract.acquisitions import ACQUISITIONS
from kitflow.core.contract.bookings import BOOKINGS, EXPORTS
from kitflow.core.contract.model import Column, FileSpec, Kind, SheetSpec
from kitflow.core.contract.register import REGISTER

INPUTS = (EXPORTS, REGISTER, ACQUISITIONS)

__all__ = [
    "ACQUISITIONS",
    "BOOKINGS",
    "EXPORTS",
    "INPUTS",
    "REGISTER",
    "Column",
    "FileSpec",
    "Kind",
    "SheetSpec",
]
