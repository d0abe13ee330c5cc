"""Pympler, implemented in C: measure, monitor and analyse the memory of a
running Python program.  Drop-in compatible with Pympler 1.1; every module of
this package is a C extension (see docs/)."""

__version__ = '1.1'
