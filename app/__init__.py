"""The gateway: one service layer behind a GraphQL schema and a REST compatibility shim."""
