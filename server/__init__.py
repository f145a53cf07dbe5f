"""The RESP server: protocol, dispatch, command families, keyspace."""
