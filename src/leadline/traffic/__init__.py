"""Synthetic website traffic: a seeded generator of realistic hits, and two ways to store them."""

from leadline.traffic.bulk import LoadResult, load_bulk, load_traffic
from leadline.traffic.config import DEFAULT_PAGES, Goal, Page, TrafficConfig
from leadline.traffic.generator import generate_visits
from leadline.traffic.ingest import IngestResult, ingest_through_pipeline
from leadline.traffic.request import SyntheticRequest
from leadline.traffic.rows import RowMaker
from leadline.traffic.salts import SeededSalts

__all__ = [
    "DEFAULT_PAGES",
    "Goal",
    "IngestResult",
    "LoadResult",
    "Page",
    "RowMaker",
    "SeededSalts",
    "SyntheticRequest",
    "TrafficConfig",
    "generate_visits",
    "ingest_through_pipeline",
    "load_bulk",
    "load_traffic",
]
