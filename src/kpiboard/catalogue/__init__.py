"""Catalogue as code: the project's YAML, loaded with file and line, checked as a whole."""

from kpiboard.catalogue.load import load_catalogue
from kpiboard.catalogue.model import Catalogue, Source

__all__ = ["Catalogue", "Source", "load_catalogue"]
