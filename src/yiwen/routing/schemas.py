"""API shapes of routing: admin configuration, presence, the queue board, the customer's place."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QueueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    department: str
    tier: str
    name: str
    default_handle_minutes: int
    arrival_floor_per_hour: int


class QueuePatch(_Input):
    name: str | None = Field(default=None, min_length=1, max_length=50)
    default_handle_minutes: int | None = Field(default=None, ge=1, le=480)
    arrival_floor_per_hour: int | None = Field(default=None, ge=0, le=10000)


class CategoryRouteOut(BaseModel):
    category: str
    queue: str


class CategoryRoutePut(_Input):
    queue: str = Field(min_length=1, max_length=40)


class AgentProfileOut(BaseModel):
    agent_id: str
    username: str
    display_name: str
    role: str
    skills: list[str]
    tier: str
    presence: str
    capacity: int
    hourly_cap: int | None


class AgentProfilePatch(_Input):
    skills: list[str] | None = Field(default=None, max_length=10)
    tier: str | None = None
    capacity: int | None = None
    hourly_cap: int | None = None


class PresenceIn(_Input):
    presence: str


class CustomerRoutingOut(BaseModel):
    customer_id: str
    vip: bool
    tier: str
    dedicated_agent_id: str | None


class CustomerRoutingPut(_Input):
    vip: bool
    dedicated_agent_id: str | None = Field(default=None, max_length=32)


class QueuePlaceOut(BaseModel):
    conversation_id: str
    queued: bool
    queue: str | None
    position: int | None
    estimated_wait_minutes: int | None
    agents_online: int | None
    message: str


class BoardAgentOut(BaseModel):
    agent_id: str
    name: str
    load: int
    capacity: int
    assignments_last_hour: int


class BoardQueueOut(BaseModel):
    key: str
    name: str
    department: str
    tier: str
    waiting: int
    oldest_waiting_since: datetime | None
    agents_online: int
    slots: int
    busy_slots: int
    arrivals_per_hour: float
    handle_minutes: float
    probability_of_waiting: float
    new_arrival_wait_minutes: float | None
    agents: list[BoardAgentOut]
