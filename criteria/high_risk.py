"""Loader of criteria/high_risk_services.toml (S1.1-13)."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class HighRiskService(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    transport: Literal["tcp", "udp"]
    ports: tuple[int, ...] = Field(min_length=1)
    protocols: tuple[str, ...] = ()
    why: str
    source: str
    status: Literal["confirmed", "background"]

    def matches(self, port: int, transport: str, protocol: str | None) -> bool:
        return transport == self.transport and (port in self.ports or (protocol in self.protocols))


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    services: tuple[HighRiskService, ...]


def load_high_risk() -> tuple[HighRiskService, ...]:
    text = resources.files("criteria").joinpath("high_risk_services.toml").read_text(encoding="utf-8")
    return _File.model_validate(tomllib.loads(text)).services
