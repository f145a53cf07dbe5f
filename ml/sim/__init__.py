"""`predis sim`: trace replay through the server's eviction code and libcachesim's references."""
