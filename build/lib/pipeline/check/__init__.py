"""Each returned file identified and checked into findings, one outcome per file, agencies' reporting state."""
