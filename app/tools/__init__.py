"""Build-time tools, run by hand or by tests; the running gateway never imports them."""
