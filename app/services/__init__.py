"""Business rules, called alike by views, REST APIs, CLI commands and scheduled jobs."""
