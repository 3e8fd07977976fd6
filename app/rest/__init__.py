"""The REST compatibility shim: one module per legacy contract, all on the shared services."""
