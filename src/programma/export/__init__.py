"""Exports: a programme written in the data standards others read (INDIGO, …)."""

from .indigo import indigo as indigo
