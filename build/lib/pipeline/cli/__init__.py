"""The `baocao` command: thin click commands over `pipeline.cycle`."""
