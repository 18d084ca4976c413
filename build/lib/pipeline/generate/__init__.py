"""Submission workbooks for every agency, filled from the master template, with request e-mails."""
