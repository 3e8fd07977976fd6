"""All SQL lives here, per domain; batched ``*_by_ids`` functions feed the DataLoaders."""
