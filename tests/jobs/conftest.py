"""Job test helpers: a manager with an organisation of venues, reading a job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from signage.accounts.models import Organisation, Role, User
from signage.jobs.models import Job
from signage.venues import services as venues


@pytest.fixture
def manager_world(
    session: Session,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> Callable[[int], tuple[Organisation, User]]:
    def make(n: int = 3) -> tuple[Organisation, User]:
        org = make_org(name="Công ty Du lịch Hương Giang")
        rows = [venues.VenueData(name=f"Quầy số {i:04d}") for i in range(n)]
        venues.create_venues(session, org, rows)
        session.commit()
        return org, make_user(Role.MANAGER, org)

    return make


def read_job(session: Session, job_id: str) -> Job:
    job = session.scalar(
        select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
    )
    assert job is not None
    return job


def job_id_of(resp: Any) -> str:
    assert resp.status_code == 302, resp.status_code
    return str(resp.headers["Location"]).rstrip("/").rsplit("/", 1)[-1]
