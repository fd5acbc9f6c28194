"""The check-in area's fixtures (posting the scan form like a phone)."""

from tests.checkin.conftest import check_in, scan

__all__ = ["check_in", "scan"]
