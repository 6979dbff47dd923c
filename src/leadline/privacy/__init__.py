"""Privacy: daily salts that rotate and are destroyed, and the visitor hash built from them."""
