"""Operations: configuration, logging, CLI entry points (metrics, HTTP admin, persistence later)."""
