"""Countries come from the database shipped with iptocc; cities from an operator's MaxMind file."""

from __future__ import annotations

from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet

from leadline.collect.geolocation import Geolocator, Place


def test_countries_need_no_configuration() -> None:
    geolocator = Geolocator()
    assert geolocator.locate("8.8.8.8").country_code == "US"
    assert geolocator.locate("81.2.69.142").country_code == "GB"
    assert geolocator.locate("2a00:1450:4001::1").country_code == "IE"


def test_private_and_malformed_addresses_have_no_place() -> None:
    geolocator = Geolocator()
    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "::1", "not-an-ip", ""):
        assert geolocator.locate(address) == Place()


def test_a_maxmind_city_file_adds_cities(tmp_path: Path) -> None:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City")
    writer.insert_network(IPSet(["81.2.69.0/24"]), {"country": {"iso_code": "GB"}, "city": {"names": {"en": "London"}}})
    writer.insert_network(IPSet(["2.16.0.0/16"]), {"country": {"iso_code": "FR"}, "city": {"names": {"en": "Paris"}}})
    database = tmp_path / "cities.mmdb"
    writer.to_db_file(str(database))
    geolocator = Geolocator(database)
    assert geolocator.locate("81.2.69.142") == Place("GB", "London")
    assert geolocator.locate("2.16.5.5") == Place("FR", "Paris")
    assert geolocator.locate("8.8.8.8") == Place("US", "")  # outside the file: country from the shipped data
    geolocator.close()


def test_the_lookup_memo_keeps_no_raw_address() -> None:
    geolocator = Geolocator()
    geolocator.locate("81.2.69.142")
    assert "81.2.69.142" not in repr(vars(geolocator))
    assert geolocator.locate("81.2.69.142").country_code == "GB"  # answered from the memo alike
