"""HTTP plumbing that the hub and the relay node share: declared routes and their OpenAPI
document, JSON errors, the request gate, bearer auth, the connection-limited site."""
