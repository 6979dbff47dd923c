"""Moving history between stores: a site's hits out to Parquet and back in, and a whole embedded deployment over."""
