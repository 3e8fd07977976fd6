"""GraphQL resolvers: per-request context, DataLoaders, and the calls into the services."""
