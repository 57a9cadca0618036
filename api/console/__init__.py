"""Web consoles served by the backend: the social workers' console and the livestream host's.

Server-rendered (Jinja2) pages over the domain services, Chinese UI, no JavaScript needed.
Staff log in with their backend account; the session is the same JWT the API issues, kept in
an HttpOnly, SameSite=Strict cookie (which also keeps other sites from posting the forms).
"""
