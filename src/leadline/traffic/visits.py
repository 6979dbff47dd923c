"""One visit: the pages a visitor sees and when, the events they complete, and how they arrived.

Gaps between pageviews run from seconds to minutes; now and then a visitor leaves for more than 30 minutes
and comes back (a new session the same day). Only the landing pageview carries an outside referrer and the
campaign tags; later pageviews send the previous page as referrer (internal, so not counted), and events send
the page they happen on, as script.js does.
"""

from __future__ import annotations

import math
import random

from leadline.traffic.addresses import BOT_RANGES, AddressPicker
from leadline.traffic.agents import BOTS
from leadline.traffic.config import Page
from leadline.traffic.request import SyntheticRequest
from leadline.traffic.sources import ARRIVALS
from leadline.traffic.urls import page_url, with_query
from leadline.traffic.visitors import Visitor
from leadline.traffic.weighted import Weighted

MORE_PAGES_CHANCE = 0.55  # after the second page, of looking at one more
MAX_PAGEVIEWS = 25
GAP_MEDIAN_SECONDS, GAP_SIGMA = 40.0, 1.1  # log-normal
GAP_BOUNDS = (3.0, 25 * 60.0)  # a gap inside a session stays under the 30-minute idle limit
LEAVE_AND_RETURN_CHANCE = 0.04  # per move to another page
AWAY_SECONDS = (31 * 60.0, 5 * 3600.0)
FOLLOW_LINK_CHANCE = 0.6
EVENT_DELAY_SECONDS = (1.0, 90.0)
HOSTNAME_SHARE_OF_FIRST = 0.7  # multi-domain sites: most visits go to the first hostname


class VisitPlanner:
    def __init__(self, site_id: str, hostnames: tuple[str, ...], pages: tuple[Page, ...]) -> None:
        self._site_id = site_id
        self._pages = pages
        index = {page.location: position for position, page in enumerate(pages)}
        self._by_weight = Weighted((position, page.weight) for position, page in enumerate(pages))
        self._links = [tuple(index[location] for location in page.links) for page in pages]
        self._goals = [tuple((goal.name, goal.chance, goal.cents) for goal in page.goals) for page in pages]
        # URLs per hostname and page, built once: the pipeline's caches key on these exact strings.
        self._urls = [[page_url(hostname, page.location) for page in pages] for hostname in hostnames]
        self._landings: dict[tuple[int, int, str], str] = {}
        rest = (1 - HOSTNAME_SHARE_OF_FIRST) / (len(hostnames) - 1) if len(hostnames) > 1 else 0.0
        self._hostnames = Weighted(
            (position, HOSTNAME_SHARE_OF_FIRST if position == 0 else rest) for position in range(len(hostnames))
        )
        self._bot_addresses = AddressPicker(BOT_RANGES, 512)
        self._gap_mu = math.log(GAP_MEDIAN_SECONDS)

    def visit(self, rng: random.Random, start: float, visitor: Visitor) -> list[SyntheticRequest]:
        """A visit's hits in time order, starting at `start`."""
        random_ = rng.random
        host = self._hostnames.pick(rng)
        urls = self._urls[host]
        arrival = ARRIVALS.pick(rng)
        pageviews = 1
        if random_() >= arrival.bounce_chance:
            pageviews = 2
            while pageviews < MAX_PAGEVIEWS and random_() < MORE_PAGES_CHANCE:
                pageviews += 1
        page = self._by_weight.pick(rng)
        url = self._landing(host, page, arrival.query) if arrival.query else urls[page]
        site_id, ip, agent = self._site_id, visitor.ip, visitor.user_agent
        referrer = arrival.referrer
        moment = start
        hits: list[SyntheticRequest] = []
        events = False
        for number in range(1, pageviews + 1):
            hits.append(SyntheticRequest(moment, site_id, ip, agent, url, referrer))
            gap = math.inf
            if number < pageviews:
                if random_() < LEAVE_AND_RETURN_CHANCE:
                    gap, referrer = rng.uniform(*AWAY_SECONDS), ""  # back later from a bookmark or an open tab
                else:
                    gap = math.exp(self._gap_mu + GAP_SIGMA * rng.gauss())
                    gap = GAP_BOUNDS[0] if gap < GAP_BOUNDS[0] else GAP_BOUNDS[1] if gap > GAP_BOUNDS[1] else gap
                    referrer = url
            for name, chance, cents in self._goals[page]:
                if random_() < chance:
                    delay = rng.uniform(*EVENT_DELAY_SECONDS)
                    if delay >= gap:
                        delay = gap * rng.uniform(0.2, 0.9)  # before the next pageview
                    value = cents[rng.randrange(len(cents))] if cents else 0
                    hits.append(SyntheticRequest(moment + delay, site_id, ip, agent, url, "", name, value))
                    events = True
            if number < pageviews:
                moment += gap
                page = self._next_page(rng, page)
                url = urls[page]
        if events:
            hits.sort()  # several events on one page may come out of order; timestamps come first in a request
        return hits

    def bot_visit(self, rng: random.Random, start: float) -> list[SyntheticRequest]:
        """A crawler or headless browser: a few pages in quick succession, no referrer."""
        urls = self._urls[self._hostnames.pick(rng)]
        ip, agent = self._bot_addresses.pick(rng), BOTS.pick(rng)
        moment, hits = start, []
        for _ in range(rng.randint(1, 4)):
            hits.append(SyntheticRequest(moment, self._site_id, ip, agent, urls[self._by_weight.pick(rng)]))
            moment += rng.uniform(0.5, 5.0)
        return hits

    def _landing(self, host: int, page: int, query: str) -> str:
        key = (host, page, query)
        url = self._landings.get(key)
        if url is None:
            url = self._landings[key] = with_query(self._urls[host][page], query)
        return url

    def _next_page(self, rng: random.Random, current: int) -> int:
        links = self._links[current]
        if links and rng.random() < FOLLOW_LINK_CHANCE:
            return links[rng.randrange(len(links))]
        page = current
        for _ in range(4):
            page = self._by_weight.pick(rng)
            if page != current:
                break
        return page  # the same page again only for a catalogue of one page (or bad luck): a reload
