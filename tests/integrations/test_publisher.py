"""The publisher in process, on a pinned clock: when a day counts as closed, versions, races and signatures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from leadline.canonical import ALGORITHM, rows_sha256, signature_is_valid, signed_message
from leadline.config import Settings
from leadline.deployment import Deployment, build_deployment
from leadline.publishing.publications import Publication, Publications
from leadline.publishing.publisher import DayNotClosedError, Publisher, day_end
from leadline.store.metadata.records import Site
from leadline.store.metadata.signing_keys import SigningKeyRepository
from leadline.traffic.bulk import load_traffic
from leadline.traffic.config import TrafficConfig

ZONE = "America/New_York"
SPRING_FORWARD = date(2026, 3, 8)  # 23 hours long in New York


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Setup:
    deployment: Deployment
    site: Site
    clock: Clock
    publisher: Publisher
    publications: Publications
    keys: SigningKeyRepository


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    deployment = build_deployment(Settings(data_dir=tmp_path))
    account = deployment.metadata.accounts.create("Shop", "owner@shop.test", ZONE)
    site = deployment.metadata.sites.create(account.id, {"name": "Shop"}, default_timezone=ZONE)
    start = datetime(2026, 3, 6, 5, tzinfo=UTC).timestamp()
    load_traffic(deployment, TrafficConfig(site.id, start, start + 4 * 86400, seed=3, hits_per_day=200, timezone=ZONE))
    clock = Clock(datetime(2026, 3, 12, 12, tzinfo=UTC))
    metadata = deployment.metadata
    publisher = Publisher(metadata, deployment.event_store, clock=clock)
    yield Setup(deployment, site, clock, publisher, Publications(metadata.publications), metadata.signing_keys)
    deployment.close()


def verifies(setup: Setup, publication: Publication) -> bool:
    key = setup.keys.get(publication.key_id)
    assert key is not None
    rows = setup.publications.rows(publication)
    if rows_sha256(publication.column_names, rows) != publication.rows_sha256:
        return False
    return signature_is_valid(
        key.public_key, publication.signature, signed_message(publication.signed_facts(ALGORITHM))
    )


def test_a_day_ends_at_local_midnight_so_the_spring_forward_day_lasts_23_hours(setup: Setup) -> None:
    before = day_end(setup.site, SPRING_FORWARD - timedelta(days=1))
    assert day_end(setup.site, SPRING_FORWARD) - before == timedelta(hours=23)
    assert before == datetime(2026, 3, 8, 5, tzinfo=UTC)


def test_a_day_is_due_only_after_its_grace_period(setup: Setup) -> None:
    grace = timedelta(hours=1)
    setup.clock.now = day_end(setup.site, SPRING_FORWARD) + grace - timedelta(seconds=1)
    assert setup.publisher.closed_days(setup.site, grace, lookback_days=30)[-1] == SPRING_FORWARD - timedelta(days=1)
    setup.clock.now += timedelta(seconds=1)
    assert setup.publisher.closed_days(setup.site, grace, lookback_days=30)[-1] == SPRING_FORWARD


def test_due_days_start_at_the_first_hit_and_reach_back_at_most_the_look_back(setup: Setup) -> None:
    all_days = setup.publisher.closed_days(setup.site, timedelta(0), lookback_days=400)
    assert all_days[0] == date(2026, 3, 6)
    assert all_days[-1] == date(2026, 3, 11)
    assert setup.publisher.closed_days(setup.site, timedelta(0), lookback_days=2) == all_days[-2:]


def test_a_day_that_has_not_ended_in_the_sites_timezone_cannot_be_published(setup: Setup) -> None:
    setup.clock.now = datetime(2026, 3, 12, 3, tzinfo=UTC)  # still 11 March in New York
    with pytest.raises(DayNotClosedError):
        setup.publisher.publish(setup.site, date(2026, 3, 11))


def test_publishing_unchanged_rows_again_keeps_the_publication(setup: Setup) -> None:
    first = setup.publisher.publish(setup.site, SPRING_FORWARD)
    assert all(outcome.created for outcome in first)
    again = setup.publisher.publish(setup.site, SPRING_FORWARD)
    assert [outcome.created for outcome in again] == [False, False, False]
    assert [o.publication.id for o in again] == [o.publication.id for o in first]
    assert all(verifies(setup, outcome.publication) for outcome in first)
    pages = first[0].publication
    assert pages.row_count > 0
    assert pages.timestamp_iso8601 == "2026-03-12T08:00:00-04:00"


def test_a_publisher_that_loses_a_race_adopts_the_winners_identical_publication(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    (winner,) = setup.publisher.publish(setup.site, SPRING_FORWARD, ["daily_events"])
    latest = setup.publications.latest
    stale = iter([None])  # the first look sees no publication yet, as if the winner had not committed

    def racing_latest(site_id: str, dataset: str, day: date) -> Publication | None:
        return next(stale, latest(site_id, dataset, day))

    monkeypatch.setattr(setup.publications, "latest", racing_latest)
    (loser,) = setup.publisher.publish(setup.site, SPRING_FORWARD, ["daily_events"])
    assert loser.created is False
    assert loser.publication.id == winner.publication.id


def test_a_day_without_traffic_publishes_zero_signed_rows(setup: Setup) -> None:
    (empty,) = setup.publisher.publish(setup.site, date(2026, 3, 1), ["daily_pages"])
    assert empty.publication.row_count == 0
    assert setup.publications.rows(empty.publication) == []
    assert verifies(setup, empty.publication)


def test_each_account_signs_with_its_own_key_and_keeps_it(setup: Setup) -> None:
    other = setup.deployment.metadata.accounts.create("Other", "other@example.com")
    mine = setup.keys.current(setup.site.account_id)
    assert setup.keys.current(setup.site.account_id).key == mine.key
    theirs = setup.keys.current(other.id)
    assert theirs.key.public_key != mine.key.public_key
    (published,) = setup.publisher.publish(setup.site, SPRING_FORWARD, ["daily_sources"])
    assert published.publication.key_id == mine.key.id
    assert published.publication.signer_email == "owner@shop.test"
