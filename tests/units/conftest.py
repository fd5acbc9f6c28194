"""The units' tree fixture (tests/units/tree.py), shared with the browser tests."""

from .tree import Tree, hue  # noqa: F401
