"""Publishing: typed daily datasets computed as reports, and the publisher that freezes, hashes and signs them."""
