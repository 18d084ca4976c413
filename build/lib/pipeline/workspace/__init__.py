"""The officer's own files: settings, the registers, the officer's decisions, and the one atomic writer."""
