"""HTTP headers the services agree on."""

SHA_HEADER = "X-Content-SHA256"  # hex SHA-256 of the request body, as the sender computed it (contracts.sha256)
