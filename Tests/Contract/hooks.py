"""Schemathesis hooks for the contract run: recordings' chunks travel as application/x-asciicast
(asciicast v2 lines), sent as the raw bytes Schemathesis generates for a binary body."""

import schemathesis

schemathesis.serializer.alias("application/x-asciicast", "application/octet-stream")
