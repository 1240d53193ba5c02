"""Catalogue as code: the project's YAML, loaded with file and line, checked as a whole."""

from kpiboard.catalogue.load import Catalogue, Source, load_catalogue

__all__ = ["Catalogue", "Source", "load_catalogue"]
