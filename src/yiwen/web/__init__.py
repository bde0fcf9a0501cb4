"""The ASGI application: wires features' routes, errors, static files and lifespan."""
