"""Outbound calls (issue 18): plans to call a resident (wellbeing, a service callback, policy
outreach) and each call placed, claimed from the database by the voice bridges."""
