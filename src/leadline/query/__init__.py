"""Reports: a request is parsed into a typed query, validated against allow-lists, planned and compiled."""
