"""Countries come from the database shipped with iptocc; regions and cities from an operator's MaxMind file."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet

from leadline.collect.geolocation import Geolocator, Place
from leadline.collect.payload import parse_payload
from leadline.collect.pending_hit import PendingHit
from leadline.collect.pipeline import Pipeline
from leadline.collect.steps import put_geolocation, write
from leadline.query.parse import parse_report_query
from leadline.query.report import run_report
from leadline.store.events import open_event_store
from leadline.store.events.spooled_rows import decode_row, encode_row
from leadline.store.metadata.store import open_metadata_store


def test_countries_need_no_configuration() -> None:
    geolocator = Geolocator()
    assert geolocator.locate("8.8.8.8").country_code == "US"
    assert geolocator.locate("81.2.69.142").country_code == "GB"
    assert geolocator.locate("2a00:1450:4001::1").country_code == "IE"


def test_private_and_malformed_addresses_have_no_place() -> None:
    geolocator = Geolocator()
    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "::1", "not-an-ip", ""):
        assert geolocator.locate(address) == Place()


def city_database(directory: Path) -> Path:
    """A MaxMind City file as GeoLite2 lays it out: London and Paris with their subdivisions, one bare city."""
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City")
    london = {
        "country": {"iso_code": "GB"},
        "subdivisions": [{"iso_code": "ENG", "names": {"en": "England"}}, {"iso_code": "LND"}],
        "city": {"names": {"en": "London"}},
    }
    paris = {
        "country": {"iso_code": "FR"},
        "subdivisions": [{"iso_code": "IDF", "names": {"en": "Île-de-France"}}],
        "city": {"names": {"en": "Paris"}},
    }
    writer.insert_network(IPSet(["81.2.69.0/24"]), london)
    writer.insert_network(IPSet(["2.16.0.0/16"]), paris)
    writer.insert_network(IPSet(["90.0.0.0/16"]), {"country": {"iso_code": "FR"}, "city": {"names": {"en": "Lyon"}}})
    database = directory / "cities.mmdb"
    writer.to_db_file(str(database))
    return database


def test_a_maxmind_city_file_adds_cities_and_regions(tmp_path: Path) -> None:
    geolocator = Geolocator(city_database(tmp_path))
    # The region is the ISO 3166-2 code of the largest subdivision, country first (MaxMind stores the rest).
    assert geolocator.locate("81.2.69.142") == Place("GB", "London", "GB-ENG")
    assert geolocator.locate("2.16.5.5") == Place("FR", "Paris", "FR-IDF")
    assert geolocator.locate("90.0.1.1") == Place("FR", "Lyon", "")  # a record without subdivisions
    assert geolocator.locate("8.8.8.8") == Place("US", "", "")  # outside the file: country from the shipped data
    geolocator.close()


def test_regions_need_the_city_file() -> None:
    assert Geolocator().locate("81.2.69.142") == Place("GB", "", "")


def test_the_region_goes_from_the_pipeline_through_the_spool_to_a_report(tmp_path: Path) -> None:
    geolocator = Geolocator(city_database(tmp_path))
    spooled: list[bytes] = []
    pipeline = Pipeline(
        [
            ("put_geolocation", put_geolocation(geolocator)),
            ("write", write(lambda hit: spooled.append(encode_row(hit.to_row())))),
        ]
    )
    start = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    for number, address in enumerate(("81.2.69.142", "81.2.69.7", "2.16.5.5", "90.0.1.1")):
        hit = PendingHit(
            payload=parse_payload(b'{"site": "SITE", "url": "https://shop.example/"}'),
            received_at=start + number,
            ip=address,
            user_agent="Mozilla/5.0",
            visitor_id=number + 1,
            session_id=start + number,  # one single-pageview session per address, as the tracker would make
            entry=True,
        )
        assert asyncio.run(pipeline.run(hit)) is None
    geolocator.close()
    assert not any(b"81.2.69" in record or b"2.16.5.5" in record for record in spooled)  # no address stored
    events = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
    assert events.insert_batch("segment", [decode_row(record) for record in spooled])
    metadata = open_metadata_store(f"sqlite:///{tmp_path / 'meta.sqlite3'}")
    query = parse_report_query(
        {"entity": "pageview", "entity_id": "SITE", "aggregates": "visits", "field_grouping": "region"}, "UTC"
    )
    rows = run_report(query, events, metadata, now=datetime(2026, 1, 2, tzinfo=UTC))
    events.close()
    metadata.close()
    assert rows == [
        {"region": "GB-ENG", "visits": "2"},
        {"region": "", "visits": "1"},
        {"region": "FR-IDF", "visits": "1"},
    ]


def test_the_geolocator_keeps_nothing_keyed_by_address() -> None:
    geolocator = Geolocator()
    first = geolocator.locate("81.2.69.142")
    assert "81.2.69.142" not in repr(vars(geolocator))
    # Two visitors in one country share one remembered Place: the memo is keyed by places, not addresses.
    assert geolocator.locate("81.2.69.7") is first
    assert repr(vars(geolocator)).count("Place(") == 1
