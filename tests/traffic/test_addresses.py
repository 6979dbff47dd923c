"""Visitor addresses come from public ranges whose country the collector's geolocation agrees on."""

from __future__ import annotations

import ipaddress
import random

import iptocc

from leadline.collect.geolocation import Geolocator
from leadline.traffic.addresses import ADDRESS_RANGES, BOT_RANGES, AddressPicker


def test_every_address_a_visitor_can_get_is_in_the_country_it_was_chosen_for() -> None:
    picker = AddressPicker(ADDRESS_RANGES, 100_000)
    pool = list(picker.pool())
    assert len(pool) > 90_000
    assert len({address for _, address in pool}) == len(pool)
    wrong = [(country, address) for country, address in pool if iptocc.country_code(address) != country]
    assert wrong == []
    geolocator = Geolocator()  # what the pipeline runs: also refuses private and reserved addresses
    for country, address in random.Random(1).sample(pool, 2000):
        assert geolocator.locate(address).country_code == country, address


def test_each_range_is_one_country_from_end_to_end() -> None:
    for entry in (*ADDRESS_RANGES, *BOT_RANGES):
        network = ipaddress.ip_network(entry.network)
        rng = random.Random(entry.network)
        samples = [network[0], network[-1], *(network[rng.randrange(network.num_addresses)] for _ in range(300))]
        assert {iptocc.country_code(str(address)) for address in samples} == {entry.country_code}, entry


def test_picked_addresses_are_spread_over_countries_and_both_ip_versions() -> None:
    rng = random.Random(3)
    picker = AddressPicker(ADDRESS_RANGES, 100_000)
    picked = [picker.pick(rng) for _ in range(5000)]
    assert len(set(picked)) > 4500
    assert 0.2 < sum(1 for address in picked if ":" in address) / len(picked) < 0.6
    assert all(not address.endswith((".0", ".255")) for address in picked)
