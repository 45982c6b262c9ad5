"""Files: programme files in TOML and JSON, their JSON Schema, and atomic writing."""
