"""Generated visitors get a region and city of their country when no MaxMind file says otherwise."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from leadline.config import Settings
from leadline.deployment import build_deployment
from leadline.query.parse import parse_report_query
from leadline.query.report import run_report
from leadline.traffic.addresses import ADDRESS_RANGES, AddressPicker
from leadline.traffic.demo import fill_demo_site
from leadline.traffic.geolocation import BulkGeolocator
from leadline.traffic.places import PLACES
from tests.collect.test_geolocation import city_database


def test_every_country_traffic_comes_from_has_places_with_regions_of_that_country() -> None:
    assert {entry.country_code for entry in ADDRESS_RANGES} <= set(PLACES)
    for country, places in PLACES.items():
        assert all(region.startswith(f"{country}-") and city for region, city, _ in places), country


def test_a_generated_address_keeps_its_place_and_the_places_vary() -> None:
    geolocator = BulkGeolocator(synthetic_places=True)
    addresses = list(AddressPicker(ADDRESS_RANGES, 400).pool())
    places = [geolocator.locate(address) for _, address in addresses]
    assert all(place.country_code == country for (country, _), place in zip(addresses, places, strict=True))
    assert all(place.region.startswith(place.country_code + "-") and place.city for place in places)
    assert BulkGeolocator(synthetic_places=True).locate(addresses[0][1]) == places[0]  # the same in another load
    assert BulkGeolocator().locate(addresses[0][1]).city == ""  # off by default: what the collector would store
    assert len({place.region for place in places}) > 20


def test_a_city_file_decides_regions_and_cities_when_there_is_one(tmp_path: Path) -> None:
    geolocator = BulkGeolocator(city_database(tmp_path), synthetic_places=True)
    assert (geolocator.locate("81.2.69.142").region, geolocator.locate("81.2.69.142").city) == ("GB-ENG", "London")
    assert (geolocator.locate("24.0.0.1").region, geolocator.locate("24.0.0.1").city) == ("", "")
    geolocator.close()


def test_demo_traffic_shows_regions(data_dir: Path) -> None:
    deployment = build_deployment(Settings(data_dir=data_dir))
    account = deployment.metadata.accounts.create("Demo", "demo@example.test")
    site = deployment.metadata.sites.create(account.id, {"name": "Demo site", "timezone": "UTC"})
    try:
        fill_demo_site(deployment, site, 400, Console(quiet=True))
        query = parse_report_query(
            {"entity": "pageview", "entity_id": site.id, "aggregates": "visits", "field_grouping": "region"}, "UTC"
        )
        rows = run_report(query, deployment.event_store, deployment.metadata)
    finally:
        deployment.close()
    assert len(rows) > 5 and all(row["region"] for row in rows)
