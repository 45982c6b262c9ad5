"""Exports of a programme to the data standards others read, one module per standard."""

from .iati import iati as iati
from .indigo import indigo as indigo
