"""The browser client's files (HTML, CSS, ES modules); served by ``accord.http.web``."""
