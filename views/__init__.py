"""Flask-AppBuilder views and REST APIs, split by business area."""
