"""`python -m predis [config-file] [--option value ...]` starts the server (as predis-server)."""

from ops.cli import main

if __name__ == "__main__":
    main()
