"""The Word report: context from the consolidated tables, rendered into the editable template."""
