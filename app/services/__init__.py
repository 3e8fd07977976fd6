"""Domain services: the rules both doors share (validation, authorization, workflows)."""
