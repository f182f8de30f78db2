"""The web application: pages, JSON API, accounts and background jobs."""
