"""Pympler's utilities: stringutils and compat, C extension modules."""
