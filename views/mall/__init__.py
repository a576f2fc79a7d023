"""网上商城 pages and REST APIs (issue 16)."""
