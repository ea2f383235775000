"""The REST APIs: the hub's v1 API and the shared machinery (routing, validation, errors)
that the relay node's small API uses too."""
