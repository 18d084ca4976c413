"""Untrusted bytes from the inbox: sniff the real kind, bound every resource, unpack zips and e-mails."""
