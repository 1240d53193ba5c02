"""The docs keep up with the code: every YAML key is in docs/CATALOGUE.md, every command in the
README, and the README shows the two commands a newcomer needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from kpiboard.catalogue import delivery, schema, sso
from kpiboard.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
MODELS = [
    schema.Project,
    schema.Organisation,
    schema.PeerGroup,
    schema.StatusKey,
    schema.StatusRule,
    schema.Tolerance,
    schema.Measure,
    schema.Target,
    schema.BaselineReduction,
    schema.Milestone,
    schema.Ranks,
    schema.SpcOptions,
    schema.Source,
    schema.Records,
    schema.Entry,
    schema.MeasureFile,
    schema.Dashboard,
    sso.Oidc,
    sso.OidcRoles,
    delivery.Announcements,
    delivery.Webhook,
    delivery.Email,
    delivery.Packs,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_yaml_key_is_documented(model: type[BaseModel]) -> None:
    doc = (ROOT / "docs" / "CATALOGUE.md").read_text()
    missing = [name for name in model.model_fields if f"`{name}`" not in doc]
    assert not missing, f"{model.__name__}: document {missing} in docs/CATALOGUE.md"


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = list(COMMANDS)
    assert commands
    for name in commands:
        assert re.search(rf"kpiboard {name}\b", readme) or f"make {name}" in readme, name


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block
    assert "make test" in (ROOT / ".ci" / "run").read_text()
