"""Settings of the `serve` benchmark's server: the production settings (LIFECRM_ENV=prod, secrets from the
environment) with the few changes a benchmark over plain HTTP on 127.0.0.1 needs, and its own URLconf
(the product's URLs plus the floor view, benchmarks/serve_urls.py). Never used by the product."""
from lifecrm.config.settings import *  # noqa: F403

ROOT_URLCONF = "serve_urls"
# Plain HTTP on the loopback: no redirect to https, cookies sent without TLS.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
